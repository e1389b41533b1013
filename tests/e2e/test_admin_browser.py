"""The admin in real headless Chromium against `pushtask serve` on a fresh database.

The browser scenarios live in frontend/e2e (Node, playwright-core, Debian's /usr/bin/chromium);
this test starts the real server, runs them, and fails with their output when one fails. They
save screenshots of each main screen under test-output/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.acceptance.conftest import start_serve

pytestmark = pytest.mark.acceptance

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PUSHTASK_E2E_CHROMIUM", "/usr/bin/chromium")


# Every scenario file of frontend/e2e (desktop, previews and pushes, phone and tablet, customer groups, the
# edit page's per-group preview, test to oneself and live reviewer answers) in one browser run.
@pytest.mark.timeout(1200)
def test_admin_scenarios_pass_in_headless_chromium(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (CI installs it)")
    if shutil.which("npm") is None or not (ROOT / "frontend" / "node_modules").is_dir():
        pytest.skip("the admin's node modules are not installed: run `make web`")
    if not (ROOT / "pushtask" / "web" / "index.html").is_file():
        pytest.skip("the admin is not built: run `make web`")
    # The browser scenarios submit tasks directly; previews and approval have their own tests.
    server = start_serve(
        tmp_path / "data", env={"PUSHTASK_APPROVAL_REQUIRED": "0", "PUSHTASK_ADMIN_PASSWORD": "admin-pass"}
    )
    try:
        run = subprocess.run(
            ["npm", "run", "e2e", "--silent"],
            cwd=ROOT / "frontend",
            env={**os.environ, "PUSHTASK_E2E_URL": server.url, "PUSHTASK_E2E_PASSWORD": "admin-pass"},
            capture_output=True,
            text=True,
            timeout=1100,
        )
    finally:
        server.stop()
    assert run.returncode == 0, f"browser scenarios failed:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    assert "# fail 0" in run.stdout
