"""Images that display: signed links an <img> loads without a sign-in, the bearer route, names in the log.

Personas: Olga (operator) uploads the school's poster; Victor (viewer, same school) may see it;
Otto (operator of another organisation) must not, whatever link or id he tries.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask.testing import FlaskClient

from pushtask.runtime import Runtime
from pushtask.services import media_links
from tests.images import png, small_jpeg
from tests.integration.conftest import Persona, World, create_task, task_body
from tests.support import FrozenClock


def upload(client: FlaskClient, who: Persona, data: bytes, name: str) -> dict[str, Any]:
    response = client.post(
        "/api/media", data={"file": (io.BytesIO(data), name)}, headers=who.headers, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def test_an_uploaded_image_loads_from_its_url_without_a_sign_in(client: FlaskClient, world: World) -> None:
    image = png(120, 80)
    body = upload(client, world.olga, image, "家长会海报.png")
    assert body["fileName"] == "家长会海报.png"
    assert body["url"].startswith("http://localhost/api/media/" + body["mediaId"] + "?")
    loaded = client.get(local(body["url"]))  # no Authorization header, as an <img> or <image> loads it
    assert loaded.status_code == 200
    assert loaded.mimetype == "image/png" and loaded.data == image
    assert loaded.headers["Cache-Control"].startswith("private, max-age=")
    assert 0 < int(loaded.headers["Cache-Control"].split("max-age=")[1].split(",")[0]) <= 3600
    assert loaded.headers["ETag"] == f'"{body["mediaId"]}"'
    again = client.get(local(body["url"]), headers={"If-None-Match": loaded.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_tampered_link_is_403_with_what_to_do(client: FlaskClient, world: World) -> None:
    body = upload(client, world.olga, png(), "a.png")
    other = upload(client, world.olga, png(color=(1, 2, 3)), "b.png")
    sig = parse_qs(urlsplit(body["url"]).query)["sig"][0]
    exp = parse_qs(urlsplit(body["url"]).query)["exp"][0]
    tampered = [
        with_query(body["url"], sig=("A" if sig[0] != "A" else "B") + sig[1:]),
        with_query(body["url"], exp=str(int(exp) + 86400)),
        with_query(body["url"], org=world.otto.org_id),
        with_query(body["url"], sig=""),
        with_query(body["url"], exp="soon"),
        local(body["url"]).replace(body["mediaId"], other["mediaId"]),
    ]
    for url in tampered:
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.get_json()["reason"] == "图片链接无效或已过期，请刷新页面获取新链接"
    english = client.get(tampered[0], headers={"Accept-Language": "en"})
    assert english.get_json()["reason"] == "The image link is invalid or has expired; reload the page for a fresh one"


def test_a_link_expires_after_about_an_hour(client: FlaskClient, world: World, clock: FrozenClock) -> None:
    body = upload(client, world.olga, png(), "a.png")
    clock.advance(minutes=59)
    assert client.get(local(body["url"])).status_code == 200
    clock.advance(minutes=12)
    assert client.get(local(body["url"])).status_code == 403


def test_links_made_in_the_same_ten_minutes_are_the_same_so_they_cache(
    client: FlaskClient, world: World, clock: FrozenClock
) -> None:
    first = upload(client, world.olga, png(), "a.png")
    clock.advance(seconds=30)
    second = upload(client, world.olga, png(), "a.png")
    assert first["url"] == second["url"]


def test_another_organisation_cannot_load_the_image_by_any_route(
    client: FlaskClient, world: World, runtime: Runtime
) -> None:
    body = upload(client, world.olga, png(), "a.png")
    # A correctly signed link, but for an organisation that never uploaded the image.
    forged = media_links.sign(
        runtime.settings.secret_key, "http://x", world.otto.org_id, body["mediaId"], runtime.clock()
    )
    assert client.get(local(forged.url)).status_code == 404
    assert client.get(f"/api/media/{body['mediaId']}", headers=world.otto.headers).status_code == 404
    assert client.get(f"/api/media/{body['mediaId']}", headers=world.victor.headers).status_code == 200
    assert client.get(f"/api/media/{body['mediaId']}").status_code == 401
    assert client.get("/api/media/" + "0" * 64, headers=world.olga.headers).status_code == 404


def test_the_bearer_route_serves_with_type_and_caching_headers(client: FlaskClient, world: World) -> None:
    image = small_jpeg()
    body = upload(client, world.olga, image, "photo.jpeg")
    loaded = client.get(f"/api/media/{body['mediaId']}", headers=world.olga.headers)
    assert loaded.status_code == 200 and loaded.mimetype == "image/jpeg"
    assert loaded.headers["Cache-Control"] == "private, max-age=3600, immutable"
    assert "photo.jpeg" in loaded.headers["Content-Disposition"]


def test_a_task_carries_a_fresh_url_and_the_file_name_and_its_log_names_the_file(
    client: FlaskClient, world: World
) -> None:
    poster = upload(client, world.olga, png(), "家长会海报.png")
    task_id = create_task(client, world.olga, task_body(world, content={"text": "见海报", "image": poster["mediaId"]}))
    detail = client.get(f"/api/tasks/{task_id}", headers=world.victor.headers).get_json()
    content = detail["content"]
    assert content["image"] == poster["mediaId"] and content["imageName"] == "家长会海报.png"
    assert client.get(local(content["imageUrl"])).status_code == 200
    listed = client.get("/api/tasks", headers=world.olga.headers).get_json()["tasks"]
    assert [t["content"]["imageName"] for t in listed if t["taskId"] == task_id] == ["家长会海报.png"]
    second = upload(client, world.olga, png(color=(9, 9, 9)), "第二版海报.png")
    updated = client.put(
        f"/api/tasks/{task_id}",
        json={"content": {"text": "见海报", "image": second["mediaId"]}},
        headers=world.olga.headers,
    )
    assert updated.status_code == 200, updated.get_json()
    logs = client.get(f"/api/tasks/{task_id}/logs", headers=world.olga.headers).get_json()
    by_action = {log["action"]: log["changes"]["content.image"] for log in logs}
    assert by_action == {
        "create": {"old": None, "new": "家长会海报.png"},
        "update": {"old": "家长会海报.png", "new": "第二版海报.png"},
    }
    text_only = create_task(client, world.olga, task_body(world, name="无图"))
    plain = client.get(f"/api/tasks/{text_only}", headers=world.olga.headers).get_json()["content"]
    assert plain["imageUrl"] is None and plain["imageName"] is None


def test_another_organisation_cannot_put_the_school_s_image_in_its_task(client: FlaskClient, world: World) -> None:
    poster = upload(client, world.olga, png(), "a.png")
    body = task_body(world, content={"text": "借图", "image": poster["mediaId"]}, groups=world.other_groups[:1])
    body["previewRecipients"] = []
    response = client.post("/api/tasks", json=body, headers=world.otto.headers)
    assert response.status_code == 400
    assert response.get_json()["details"][0]["field"] == "content.image"


def test_an_unsafe_file_name_is_cleaned(client: FlaskClient, world: World) -> None:
    body = upload(client, world.olga, png(), "../../etc/\x00passwd")
    assert body["fileName"] == "passwd.png"
    assert upload(client, world.olga, png(), ".png")["fileName"] == "image.png"
