"""Operator-facing messages in zh-CN (default) and English, looked up by code."""

from __future__ import annotations

from typing import Any

DEFAULT_LANG = "zh-CN"

MESSAGES: dict[str, tuple[str, str]] = {
    # (zh-CN, en)
    "required": ("必填项", "This field is required"),
    "invalid_json": ("请求体不是有效的 JSON，请检查格式", "The request body is not valid JSON"),
    "body_not_object": ("请求体应为 JSON 对象", "The request body must be a JSON object"),
    "unknown_field": ("不支持的字段，请删除", "Unknown field; remove it"),
    "type_string": ("应为文本", "Must be a string"),
    "type_int": ("应为整数", "Must be a whole number"),
    "type_bool": ("应为 true 或 false", "Must be true or false"),
    "type_list": ("应为列表", "Must be a list"),
    "type_object": ("应为对象", "Must be an object"),
    "type_datetime": (
        "时间格式无效，请使用 ISO 8601，例如 2025-06-10T18:00:00+08:00",
        "Invalid time; use ISO 8601 such as 2025-06-10T18:00:00+08:00",
    ),
    "choice": ("取值无效，可选：{choices}", "Invalid value; choose one of: {choices}"),
    "too_short": ("至少 {min} 个字符", "Must be at least {min} characters"),
    "too_long": ("最多 {max} 个字符（当前 {actual} 个）", "At most {max} characters (now {actual})"),
    "blank": ("不能为空", "Must not be blank"),
    "out_of_range": ("取值应在 {min} 到 {max} 之间", "Must be between {min} and {max}"),
    "list_too_long": ("最多 {max} 项（当前 {actual} 项）", "At most {max} items (now {actual})"),
    "duplicate_items": ("包含重复项", "Contains duplicates"),
    "invalid": ("取值无效", "Invalid value"),
    "name_length": ("任务名称应为 1–50 个字（当前 {actual} 个）", "Task name must be 1–50 characters (now {actual})"),
    "time_in_past": ("推送时间已过，请选择将来的时间", "The push time has passed; choose a time in the future"),
    "unknown_timezone": (
        "未知时区，请使用 IANA 时区名，例如 Asia/Shanghai",
        "Unknown time zone; use an IANA name such as Asia/Shanghai",
    ),
    "interval_required": ("周期任务需选择每天、每周或每月", "Recurring tasks need daily, weekly or monthly"),
    "end_before_start": ("结束时间应晚于首次推送时间", "The end must be after the first push"),
    "weekdays_invalid": ("星期应为 1（周一）到 7（周日）", "Weekdays are 1 (Monday) to 7 (Sunday)"),
    # ---- planner (issue 18): work calendar, single occurrences, calendar, import ----
    "occurrence_once": (
        "单次任务没有单独的推送次数，请直接修改任务的推送时间",
        "A one-off task has no single occurrences; edit the task's push time instead",
    ),
    "occurrence_unknown": (
        "该时间不是此任务的推送时间，请从“接下来的推送时间”或日历中选择",
        "This is not one of the task's push times; pick one from its upcoming times or the calendar",
    ),
    "occurrence_past": (
        "这次推送的时间已过，只能调整将来的推送",
        "This occurrence is in the past; only future occurrences can be changed",
    ),
    "occurrence_taken": (
        "任务在 {time} 已有一次推送，请选择其他时间",
        "The task already pushes at {time}; choose another time",
    ),
    "occurrence_skipped_target": (
        "{time} 这次推送已跳过，请先恢复它，或选择其他时间",
        "The occurrence at {time} is skipped; restore it or choose another time",
    ),
    "occurrence_completed": (
        "任务已结束，无法调整单次推送",
        "The task has ended; its occurrences cannot be changed",
    ),
    "occurrence_too_many": (
        "单次调整已达 {max} 条上限，请直接修改任务的周期规则",
        "At most {max} single-occurrence changes; change the task's rule instead",
    ),
    "calendar_window": (
        "时间范围最多 {max} 天，请缩小 from 与 to 之间的范围",
        "The window is at most {max} days; narrow the range between from and to",
    ),
    "calendar_order": ("结束时间应晚于开始时间", "to must be after from"),
    "import_header": (
        "CSV 缺少列：{columns}；请下载模板，按模板的第一行填写列名",
        "The CSV lacks the columns {columns}; download the template and keep its first row",
    ),
    "import_recurrence": (
        "周期格式无效：请填 once、daily、weekly:1,3,5 或 monthly:15（每 2 周：weekly/2:1）",
        "Invalid recurrence; use once, daily, weekly:1,3,5 or monthly:15 (every 2 weeks: weekly/2:1)",
    ),
    "import_group_unknown": (
        "找不到群“{name}”：请填写群管理中的群名或群 ID",
        "No group “{name}”; use a group name or ID from Groups",
    ),
    "import_reviewer_unknown": (
        "找不到微信号为 {wechatId} 的审核人：请先在接收人管理中添加",
        "No reviewer with WeChat ID {wechatId}; add them under Recipients first",
    ),
    "import_too_large": (
        "文件超过 2 MB 或 1000 行：请拆分成多个文件分别导入",
        "The file is over 2 MB or 1,000 rows; split it into several files",
    ),
    "trash_not_deleted": ("该任务不在回收站中，无需恢复", "This task is not in the trash; nothing to restore"),
    "trash_expired": (
        "任务删除已超过 {days} 天，无法恢复；请复制其他任务或重新创建",
        "The task was deleted more than {days} days ago and cannot be restored; create it again",
    ),
    "group_tag_unknown": (
        "没有带这些标签的群：{tags}；请先在群管理中给群加上标签",
        "No group carries the tags {tags}; tag groups under Groups first",
    ),
    "import_file_required": (
        "请上传 CSV 文件（表单字段 file）",
        "Upload a CSV file (form field file)",
    ),
    "groups_required": ("请至少选择 1 个目标群", "Choose at least one target group"),
    "groups_too_many": ("最多选择 100 个群（当前 {actual} 个）", "At most 100 groups (now {actual})"),
    "groups_unknown": ("以下群不存在或无权访问：{ids}", "These groups do not exist or are not yours: {ids}"),
    "recipients_unknown": ("以下接收人不存在：{ids}", "These recipients do not exist: {ids}"),
    "content_required": (
        "请填写推送内容（文本、图片、链接或小程序至少一项）",
        "Add content: text, image, link or mini program",
    ),
    "status_on_create": ("新建任务的状态只能是 draft 或 scheduled", "A new task's status is draft or scheduled"),
    "repeated_param": ("参数重复，请只传一次", "Given more than once; pass it once"),
    "invalid_query": ("查询参数无效", "Invalid query parameter"),
    "sort_key": ("无法按此字段排序，可选：{choices}", "Cannot sort by this; choose from: {choices}"),
    "not_uuid": ("ID 格式无效", "Malformed ID"),
    "resume_in_past": ("恢复时间应在将来", "The resume time must be in the future"),
    "person_not_found": (
        "本组织没有与该标识对应的个人数据（从未登记，或已删除）",
        "No personal data is held for this identifier in your organisation (never recorded, or already erased)",
    ),
    "wechat_id_taken": ("该微信号已被使用", "This WeChat ID is already in use"),
    "password_short": ("密码至少 8 个字符", "Passwords have at least 8 characters"),
    "login_throttled": (
        "登录失败次数过多，请 {seconds} 秒后再试；忘记密码请联系管理员重置",
        "Too many failed sign-ins; try again in {seconds} s, or ask an admin to reset your password",
    ),
    "auth_missing": ("请先登录（缺少 Authorization: Bearer 令牌）", "Sign in first (no Authorization: Bearer token)"),
    "auth_invalid": ("登录已失效，请重新登录", "Your session has expired or is invalid; sign in again"),
    "forbidden_role": (
        "权限不足：此操作需要 {role} 角色，请联系管理员",
        "Not allowed: this needs the {role} role; ask an admin",
    ),
    "not_found": ("未找到，请检查 ID 或刷新列表", "Not found; check the ID or refresh the list"),
    "task_not_found": ("任务不存在或已删除", "The task does not exist or was deleted"),
    "body_too_large": (
        "请求体过大（上限 {limit} 字节），请精简内容",
        "The request body is too large (limit {limit} bytes)",
    ),
    "db_unavailable": (
        "数据库暂时不可用，请稍后重试；若持续出现请联系运维",
        "The database is unavailable; retry shortly and tell operations if it persists",
    ),
    "db_wait_start": (
        "启动时无法连接数据库（{error}）：等待数据库恢复，{delay} 秒后重试（退避至每 {cap} 秒一次）；"
        "请检查数据库服务是否在运行以及 PUSHTASK_DATABASE_URL",
        "The database is not reachable at start ({error}): waiting for it, next try in {delay} s "
        "(backing off to every {cap} s); check that the database server runs and PUSHTASK_DATABASE_URL",
    ),
    "db_wait_still": (
        "仍在等待数据库（已等待 {waited} 秒，{tries} 次尝试，下次在 {delay} 秒后）：{error}",
        "Still waiting for the database ({waited} s, {tries} tries, next in {delay} s): {error}",
    ),
    "method_not_allowed": ("不支持此请求方法", "This method is not allowed here"),
    "internal": ("服务器内部错误，已记录；请稍后重试或联系运维", "Internal error, logged; retry or tell operations"),
    # Refusals of an action (HTTP 409), each saying what to do instead.
    "edit_running": (
        "任务正在执行，无法修改；请等待本次推送完成后再编辑",
        "The task is being pushed and cannot be edited; wait until this push finishes",
    ),
    "edit_completed": (
        "任务已完成，无法修改；可复制为新任务后编辑",
        "The task is completed and cannot be edited; copy it into a new task instead",
    ),
    "delete_active": (
        "只能删除草稿或已暂停的任务；请先暂停任务再删除",
        "Only drafts and paused tasks can be deleted; pause the task first",
    ),
    "pause_state": (
        "只有待执行或进行中的任务可以暂停（当前：{status}）",
        "Only scheduled or running tasks can be paused (now: {status})",
    ),
    "resume_state": ("只有已暂停的任务可以恢复（当前：{status}）", "Only paused tasks can be resumed (now: {status})"),
    "resume_expired": (
        "单次任务的推送时间已过，请修改推送时间后再提交",
        "This one-off task's time has passed; edit the time and submit it again",
    ),
    "schedule_ended": (
        "周期规则已没有后续推送时间，请修改结束条件",
        "The recurrence has no further push times; change its end",
    ),
    "group_in_use": (
        "该群仍被以下任务使用：{names}；请先从任务中移除",
        "Still used by these tasks: {names}; remove it from them first",
    ),
    "recipient_in_use": (
        "该接收人仍被以下任务使用：{names}；请先从任务中移除",
        "Still a reviewer of these tasks: {names}; remove them first",
    ),
    "push_exists": ("该任务此刻已有一次推送，请稍后再试", "This task already has a push at this instant; try again"),
    "nothing_to_mark_sent": (
        "没有待确认（uncertain）的群可标记为已发送",
        "No uncertain groups to mark as sent",
    ),
    "nothing_to_resend": ("没有失败或待确认的群可重发", "No failed or uncertain groups to resend"),
    "nothing_awaiting": (
        "该推送没有等待群主确认的群；刷新页面查看最新结果",
        "No group of this push is awaiting confirmation; reload to see the latest results",
    ),
    "channel_busy": (
        "渠道暂未回应，结果稍后会自动更新；请稍后再试",
        "The channel did not answer in time; results update on their own, try again shortly",
    ),
    # WeCom customer groups and bridges (issue 21).
    "wecom_not_configured": (
        "未配置企业微信应用，无法同步客户群；请设置 PUSHTASK_WECOM_CORP_ID / PUSHTASK_WECOM_CORP_SECRET，"
        "并在企业微信后台把该应用加入「客户联系 → 可调用应用」",
        "No WeCom app is configured; set PUSHTASK_WECOM_CORP_ID / PUSHTASK_WECOM_CORP_SECRET "
        "and add the app to 客户联系 → 可调用应用",
    ),
    "wecom_sync_failed": (
        "企业微信返回错误 {errcode}：{reason}；请检查应用是否在「客户联系 → 可调用应用」中、"
        "服务器 IP 是否在可信 IP 列表中",
        "WeCom answered errcode {errcode}: {reason}; check that the app is under 客户联系 → 可调用应用 "
        "and the server IP is trusted",
    ),
    "bridge_name_taken": (
        "已有名为“{name}”的个人微信群；wechatbot-webhook 按群名发送，无法区分同名的群，"
        "请改一个名字（并在微信里同步改名）",
        "A personal-WeChat group named “{name}” exists; wechatbot-webhook addresses rooms by name and cannot tell "
        "them apart, rename one (in WeChat too)",
    ),
    "quota_exceeded": (
        "客户群「{group}」{date} 的推送将是{period}第 {count} 次群发，超过企业微信的上限 {limit} 次，"
        "群主将无法发送；请减少推送次数或调整时间",
        "Customer group “{group}”: the push on {date} would be mass send #{count} {period}, over WeCom's cap of "
        "{limit}; the owner could not send it. Push less often or move it",
    ),
    "owner_required": (
        "企业微信客户群需要群主的企业微信 userid（或使用「从企业微信同步」导入）",
        "A WeCom customer group needs its owner's WeCom userid (or import it with “Sync from WeCom”)",
    ),
    "recipient_ambiguous": (
        "“{value}” 同时匹配多个接收人：{names}；请改用接收人 ID",
        "“{value}” matches several recipients: {names}; use the recipient id instead",
    ),
    "delete_self": ("不能删除自己的账号", "You cannot delete your own account"),
    "last_admin": ("组织至少需要一名管理员", "The organisation needs at least one admin"),
    # Notifications and feedback (issue 8).
    "unknown_user": ("用户不存在或不属于本组织，请检查 userId", "No such user in your organisation; check userId"),
    "recipient_linked": (
        "该接收人已关联到其他用户，请先在对方的通知设置中解除",
        "This recipient is already linked to another user; unlink it in their settings first",
    ),
    "feedback_token_invalid": (
        "反馈链接无效或已过期，请从最新的群消息重新打开",
        "The feedback link is invalid or has expired; open it again from the latest group message",
    ),
    "feedback_too_large": ("反馈内容过长（上限 {limit} 字节），请精简", "Feedback too large (limit {limit} bytes)"),
    "link_not_found": (
        "链接不存在或已失效，请向发送该消息的群管理员索取新链接",
        "This link does not exist or has expired; ask the group's manager for a new one",
    ),
    "link_rate_limited": (
        "打开链接过于频繁，请 {seconds} 秒后再试",
        "Too many link requests from your network; try again in {seconds} s",
    ),
    "feedback_rate_limited": (
        "提交过于频繁，请 {seconds} 秒后再试",
        "Too many submissions; try again in {seconds} s",
    ),
    # Content rules, previews and approval (issue 5).
    "text_too_long": (
        "文本超长，请精简（当前 {actual} 字，上限 {max} 字）",
        "The text is too long; shorten it ({actual} characters, at most {max})",
    ),
    "group_duplicate": (
        "本组织已有同一渠道、同一群标识的群“{name}”，请直接使用它，或先删除它再添加",
        "A group with this channel and reference already exists (“{name}”); use it, or delete it first",
    ),
    "recipient_duplicate": (
        "本组织已有同一微信号、渠道和用户 ID 的接收人“{name}”，请直接使用或修改它",
        "A recipient with this WeChat ID, channel and user id already exists (“{name}”); use or edit that one",
    ),
    "text_control": ("文本含有不可见的控制字符，请删除后再试", "The text contains control characters; remove them"),
    "image_id_invalid": (
        "图片应为上传后返回的 mediaId，请先通过 /api/media 上传",
        "The image must be a mediaId from /api/media; upload it first",
    ),
    "image_missing": ("图片不存在或已被清理，请重新上传", "The image is not stored (any more); upload it again"),
    "image_type": (
        "图片必须是 JPG 或 PNG 格式（当前文件是 {kind}），请转换后再上传",
        "The image must be a JPG or PNG (this file is {kind}); convert it and upload again",
    ),
    "image_corrupt": (
        "图片文件已损坏或不完整，请重新导出后再上传",
        "The image file is damaged or incomplete; export it again and upload",
    ),
    "image_too_many_pixels": (
        "图片尺寸过大（{width}×{height}），请缩小后再上传",
        "The image is too large ({width}×{height}); scale it down and upload again",
    ),
    "image_incompressible": (
        "图片无法在保持清晰的前提下压缩到 {limit_mb}MB 以内，请裁剪或降低分辨率后再上传",
        "The image cannot be compressed under {limit_mb} MB and stay legible; crop or scale it down",
    ),
    "file_required": ("请用 multipart/form-data 上传，字段名为 file", "Upload with multipart/form-data, field `file`"),
    "upload_too_large": (
        "文件过大（上限 {limit_mb}MB），请压缩后再上传",
        "The file is too large (limit {limit_mb} MB); compress it first",
    ),
    "link_invalid": (
        "链接应为完整的 http(s) 地址，例如 https://example.com/page",
        "The link must be a full http(s) URL such as https://example.com/page",
    ),
    "appid_invalid": (
        "小程序 AppID 应为 wx 开头加 16 位十六进制字符，例如 wx1234567890abcdef",
        "The mini program AppID is wx followed by 16 hex characters, e.g. wx1234567890abcdef",
    ),
    "page_path_invalid": (
        "小程序页面路径无效，例如 pages/index/index?id=1（不以 / 开头）",
        "Invalid page path; use e.g. pages/index/index?id=1 (no leading /)",
    ),
    "card_title_required": ("小程序卡片需要标题", "The mini-program card needs a title"),
    "card_thumbnail_required": (
        "小程序卡片需要缩略图（http(s) 图片地址）",
        "The mini-program card needs a thumbnail (an http(s) image URL)",
    ),
    "template_blank": (
        "内容中还有未填写的空白“__”：请把它换成实际内容后再保存",
        "The text still has a template blank “__”; replace it with the real text before saving",
    ),
    "variable_unknown": (
        "未知变量：{names}；可用变量：{known}（写作 {{{{群名}}}}）",
        "Unknown variables: {names}; available: {known} (written {{{{群名}}}})",
    ),
    "channel_refused": ("群「{groups_zh}」：{zh}", "Groups {groups_en}: {en}"),
    "recipients_required": (
        "请至少选择 1 位预览接收人",
        "Choose at least one preview recipient",
    ),
    "preview_stale": ("内容已修改，请查看最新预览", "The content has changed since; look at the newest preview"),
    "preview_decided": (
        "该预览已处理（{status}），无需重复操作；如需再次确认请重新发送预览",
        "This preview was already decided ({status}); send a new preview to decide again",
    ),
    "preview_not_reviewer": (
        "只有该预览的接收人或管理员可以确认或要求修改",
        "Only this preview's reviewers or an admin can confirm it or ask for changes",
    ),
    "approval_required": (
        "当前内容（第 {version} 版）尚未经预览确认，不能提交；请先发送预览并等待接收人回复“确认”，或先保存为草稿",
        "This content (version {version}) has not been confirmed in a preview; send a preview and wait for "
        "a reviewer to confirm, or save it as a draft",
    ),
    "no_quota": (
        "{name}需在小程序中重新订阅通知",
        "{name} must subscribe to notifications in the mini program again",
    ),
    "reviewer_send_failed": ("{name}：预览发送失败（{reason}）", "{name}: the preview could not be sent ({reason})"),
    "reviewer_no_channel": (
        "{name}：未配置{channel}，无法发送预览",
        "{name}: {channel} is not configured, so no preview can be sent",
    ),
    # "Send a test to myself" (issue 18).
    "self_test_unlinked": (
        "你的账号还没有关联微信，测试无处可发：请在「通知设置」中选择代表你本人的接收人（企业微信或小程序），"
        "或在小程序中用微信号和密码登录后点「绑定微信」，然后重试",
        "Your account has no linked WeChat, so the test has nowhere to go: pick the recipient that is you in "
        "Notification settings (WeCom or mini program), or sign in to the mini program with your WeChat ID and "
        "password and tap 'Bind WeChat', then try again",
    ),
    "self_test_channel_off": (
        "你关联的微信身份走{channel}通道，但服务器未配置该通道：请管理员配置后重试，或在「通知设置」中换一个接收人",
        "Your linked WeChat identity is reached through {channel}, which this server has not configured: ask an "
        "admin to configure it, or pick another recipient in Notification settings",
    ),
    "self_test_sent": ("测试已发到你的{where}", "Test sent to you ({where})"),
    "self_test_sent_wecom": (
        "测试已发到你的企业微信（相同内容 30 分钟内只送达一次）",
        "Test sent to you in WeCom (identical content reaches you once per 30 minutes)",
    ),
    "self_test_queued": (
        "测试暂未送达（{reason}），系统会自动重试",
        "Not sent yet ({reason}); it is retried automatically",
    ),
    "self_test_failed": (
        "测试未能发到你的{where}：{reason}（小程序需先接受订阅消息）",
        "The test could not be sent to {where}: {reason} (the mini program needs an accepted subscription first)",
    ),
    "template_name": ("模板名称应为 1–50 个字", "Template names have 1–50 characters"),
    "template_name_taken": ("已有同名模板，请换一个名称", "A template with this name exists; choose another name"),
    "template_builtin": (
        "内置模板不能修改或删除，可另存为自定义模板",
        "Built-in templates cannot be changed; save a copy",
    ),
    # WeChat sign-in and token scopes (issue 17).
    "wx_code_invalid": (
        "微信登录凭证无效或已过期（5 分钟内有效），请重新调用 wx.login 获取新凭证后再登录",
        "The WeChat login code is invalid or expired (codes last 5 minutes); call wx.login again and retry",
    ),
    "wx_code_used": (
        "该微信登录凭证已使用过（每个凭证只能用一次），请重新调用 wx.login 获取新凭证",
        "This WeChat login code was already used (each works once); call wx.login again for a new one",
    ),
    "wx_login_too_often": (
        "微信登录过于频繁，请 {seconds} 秒后再试",
        "Too many WeChat sign-ins; try again in {seconds} seconds",
    ),
    "wx_login_unavailable": (
        "微信登录暂不可用（微信返回 {errcode}），请联系管理员检查小程序 AppID / AppSecret 配置",
        "WeChat sign-in is unavailable (WeChat answered {errcode}); "
        "ask an admin to check the mini program's AppID / AppSecret",
    ),
    "wx_not_configured": (
        "未配置小程序（PUSHTASK_MP_APPID / PUSHTASK_MP_SECRET），无法使用微信登录，请用账号密码登录",
        "No mini program is configured (PUSHTASK_MP_APPID / PUSHTASK_MP_SECRET); sign in with your password",
    ),
    "wechat_bound_elsewhere": (
        "该微信已绑定另一个 PushTask 账号，请先在那个账号中解除绑定",
        "This WeChat is bound to another PushTask account; unbind it there first",
    ),
    "wechat_bind_operators_only": (
        "只有用账号密码登录的用户可以绑定微信",
        "Only users signed in with their password can bind a WeChat",
    ),
    "scope_forbidden_reviewer": (
        "审核人的微信登录只能查看和确认自己的预览；如需管理任务，请用账号密码登录",
        "A reviewer's WeChat sign-in can only read and decide their own previews; "
        "sign in with a password to manage tasks",
    ),
    "scope_forbidden_member": (
        "群成员的微信登录只能提交反馈；如需管理任务，请用账号密码登录",
        "A group member's WeChat sign-in can only answer feedback; sign in with a password to manage tasks",
    ),
    "scope_forbidden_operator": (
        "此接口仅供小程序中的审核人使用",
        "This endpoint is for reviewers signed in through the mini program",
    ),
    "media_link_invalid": (
        "图片链接无效或已过期，请刷新页面获取新链接",
        "The image link is invalid or has expired; reload the page for a fresh one",
    ),
    # A/B variants (issue 19)
    "variant_keys_unique": ("每个版本的标识（A–D）只能用一次", "Each variant key (A–D) may be used only once"),
    "variants_need_groups": (
        "A/B 测试至少需要 {need} 个群（每个版本至少 1 个群），当前 {actual} 个；请添加目标群，或减少版本、改为单一内容",
        "An A/B test needs at least {need} groups (one per variant), now {actual}; add groups, or use fewer"
        " variants or one content",
    ),
    "variant_key_unknown": (
        "没有这个版本；这个任务的版本是 {keys}",
        "No such variant; this task's variants are {keys}",
    ),
    "variant_groups_outside": (
        "以下群不在任务的目标群中：{ids}；请先把它们加入目标群",
        "These groups are not among the task's groups: {ids}; add them to the groups first",
    ),
    "variant_groups_twice": (
        "以下群被分到了多个版本：{ids}；每个群只收到一个版本，请只保留一个",
        "These groups are assigned to more than one variant: {ids}; each group receives one variant, keep one",
    ),
    "variant_groups_without_variants": (
        "没有 A/B 版本时不能按版本分配群；请先添加版本（variants）",
        "Groups can be assigned to variants only when the task has variants; add variants first",
    ),
    "variants_replace_content": (
        "这个任务有 A/B 版本：请在各版本（variants）中修改内容，或先“采用胜出版本”",
        "This task has A/B variants: edit each variant's content in `variants`, or adopt the winning variant first",
    ),
    "variants_none": (
        "这个任务没有 A/B 版本，无需采用；可直接编辑内容",
        "This task has no A/B variants to adopt; edit its content directly",
    ),
    "variant_not_found": (
        "这个任务没有该版本；请在任务详情中查看它的版本（A–D）",
        "The task has no such variant; see its variants (A–D) in the task's details",
    ),
    "variant_label": ("版本 {key}", "Variant {key}"),
}


def pick_language(accept_language: str | None) -> str:
    """Choose zh-CN or en from an Accept-Language header (zh-CN unless English is preferred)."""
    if not accept_language:
        return DEFAULT_LANG
    best, best_q = DEFAULT_LANG, -1.0
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower()
        candidate = "en" if lang.startswith("en") else DEFAULT_LANG if lang.startswith("zh") else None
        if candidate and q > 0 and q > best_q:
            best, best_q = candidate, q
    return best


def translate(code: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """Return the message for `code` in `lang`, with `params` filled in."""
    zh, en = MESSAGES.get(code, MESSAGES["invalid"])
    template = en if lang == "en" else zh
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
