// The sandbox web view: polls the control API and draws groups and phones. No build step.
"use strict";

const state = { since: 0, messages: [], directory: null, assistants: [] };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  return response.json();
}

function timeOf(iso) { return new Date(iso).toLocaleTimeString(); }

function textWithMentions(text) {
  const parts = String(text || "").split(/(<@[^>]+>)/g);
  return parts.map((p) => (p.startsWith("<@") ? el("span", { class: "mention" }, "@" + p.slice(2, -1)) : p));
}

function imageSrc(payload) {
  if (payload.base64) return "data:image/*;base64," + payload.base64;
  if (payload.media_id) return "/_sandbox/media/" + encodeURIComponent(payload.media_id);
  return "";
}

// A web link card opens its link (for a push: the group's short link, which PushTask counts) as a tap would.
function linkCard(title, description, thumb, footer, mini) {
  const opens = !mini && /^https?:\/\//.test(footer || "");
  return el(opens ? "a" : "div", opens ? { class: "card", href: footer, target: "_blank", rel: "noopener" } : { class: "card" },
    el("div", { class: "ct" }, title || "(无标题)"),
    description ? el("div", { class: "cd" }, description) : null,
    thumb ? el("img", { class: "thumb", src: thumb, alt: "" }) : null,
    el("div", { class: "foot" + (mini ? " mp" : "") }, footer));
}

function cardButtons(record, person) {
  const card = record.payload.template_card || {};
  const replaced = record.cardState && record.cardState.replaceName;
  if (replaced) return el("div", { class: "buttons" }, el("button", { disabled: "" }, replaced));
  return el("div", { class: "buttons" }, (card.button_list || []).map((button, i) =>
    el("button", {
      class: i === 0 ? "primary" : "",
      onclick: async () => {
        if (button.type === 1 && button.url) { window.open(button.url, "_blank"); return; }
        const report = await api("/_sandbox/reply", { from: person, responseCode: record.responseCode, key: button.key });
        flash(report);
        refresh(true);
      },
    }, button.text)));
}

function renderContent(record, person) {
  const p = record.payload;
  switch (record.msgtype) {
    case "text":
      if (typeof p.text === "string") {
        const mentions = (p.mentions || []).map((m) => el("span", { class: "mention" }, "@" + m + " "));
        return el("div", { class: "bubble" }, mentions, p.text);
      } else {
        const mentions = (p.text.mentioned_list || []).map((m) => el("span", { class: "mention" }, "@" + (m === "@all" ? "所有人" : m) + " "));
        return el("div", { class: "bubble" }, mentions, textWithMentions(p.text.content));
      }
    case "markdown": case "markdown_v2":
      return el("div", { class: "bubble" }, textWithMentions((p[record.msgtype] || {}).content));
    case "image":
      return el("div", { class: "bubble" }, el("img", { src: imageSrc(p.image || {}), alt: "image" }));
    case "news": {
      const article = ((p.news || {}).articles || [])[0] || {};
      const mini = Boolean(article.appid);
      return linkCard(article.title, article.description, article.picurl, mini ? "小程序 · " + article.pagepath : article.url, mini);
    }
    case "link":
      if (p.msgtype === "link") return linkCard(p.link.title, p.link.desc, p.link.picurl, p.link.url, false);
      return linkCard(p.link.title, p.link.description, p.link.thumbUrl, p.link.url, false);
    case "miniprogram":
      return linkCard(p.miniprogram.title, "", imageSrc({ media_id: p.miniprogram.pic_media_id }), "小程序 · " + p.miniprogram.page, true);
    case "miniprogram_notice": {
      const n = p.miniprogram_notice;
      return el("div", { class: "card" }, el("div", { class: "ct" }, n.title), el("div", { class: "cd" }, n.description || ""),
        (n.content_item || []).map((item) => el("div", { class: "row" }, el("span", {}, item.key), el("span", {}, item.value))),
        el("div", { class: "foot mp" }, "小程序 · " + n.page));
    }
    case "template_card": {
      const c = p.template_card;
      return el("div", { class: "card" },
        c.source && c.source.desc ? el("div", { class: "cd" }, c.source.desc) : null,
        el("div", { class: "ct" }, (c.main_title || {}).title || ""),
        (c.main_title || {}).desc ? el("div", { class: "cd" }, c.main_title.desc) : null,
        c.sub_title_text ? el("div", { class: "cd" }, c.sub_title_text) : null,
        (c.horizontal_content_list || []).map((h) => el("div", { class: "row" }, el("span", {}, h.keyname), el("span", {}, h.value))),
        c.card_type === "button_interaction" ? cardButtons(record, person) : null);
    }
    case "subscribe": {
      const labels = record.keywordLabels || {};
      return el("div", { class: "card notice" },
        el("div", { class: "from" }, "服务通知 · " + (record.appName || "小程序")),
        el("div", { class: "ct" }, record.templateTitle || p.template_id),
        Object.entries(p.data || {}).map(([key, value]) => el("div", { class: "row" }, el("span", {}, labels[key] || key), el("span", {}, value.value))),
        el("div", { class: "foot mp" }, "进入小程序查看 › " + (p.page || "")));
    }
    default:
      return el("div", { class: "bubble" }, "[" + record.msgtype + "] " + JSON.stringify(p).slice(0, 300));
  }
}

function messageRow(record, person) {
  const who = record.channel === "wecom_customer_group" ? "群主" : record.channel === "wecom_robot" ? "机器人" : record.channel === "bot_bridge" ? "助手" : record.channel === "miniprogram" ? "通知" : "应用";
  return el("div", {},
    el("div", { class: "time" }, timeOf(record.receivedAt)),
    el("div", { class: "msg" }, el("div", { class: "avatar" }, who), renderContent(record, person)));
}

function window_(kind, title, badge, meta, records, person, composer) {
  const log = el("div", { class: "log" }, records.length ? records.map((r) => messageRow(r, person)) : el("div", { class: "empty" }, "还没有消息 No messages yet"));
  const node = el("div", { class: kind },
    el("div", { class: "title" }, el("span", {}, title + " ", el("span", { class: "badge " + badge }, badge)), el("span", { class: "meta" }, meta)),
    log, composer || null);
  setTimeout(() => { log.scrollTop = log.scrollHeight; }, 0);
  return node;
}

function composer(person, kind) {
  const input = el("input", { placeholder: "回复 确认 / 修改 <意见>" });
  const send = async () => {
    if (!input.value.trim()) return;
    flash(await api("/_sandbox/reply", { from: person.id, text: input.value }));
    input.value = "";
  };
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") send(); });
  const extra = kind === "openid"
    ? el("button", { title: "模拟用户在小程序中点击订阅 (one-time subscription +1)", onclick: async () => { flash(await api("/_sandbox/subscribe", { openid: person.id, count: 1 })); } }, "订阅 +1")
    : null;
  return el("div", { class: "composer" }, input, el("button", { onclick: send }, "发送"), extra);
}

function flash(report) {
  const status = document.getElementById("status");
  if (report.error) status.textContent = "⚠ " + report.error;
  else if ("delivered" in report) status.textContent = report.delivered ? `回调已送达 (${report.attempts} 次尝试)` : "回调失败: " + (report.error || report.status);
  else if ("sent" in report && Array.isArray(report.sent)) status.textContent = `已发送到 ${report.sent.reduce((n, t) => n + t.chatIds.length, 0)} 个客户群`;
  else if ("remaining" in report) status.textContent = `剩余订阅次数 remaining subscriptions: ${report.remaining}`;
}

function draw() {
  const directory = state.directory;
  if (!directory) return;
  const byTarget = {};
  for (const record of state.messages) (byTarget[record.target] = byTarget[record.target] || []).push(record);
  const groups = document.getElementById("groups");
  groups.replaceChildren(...directory.groups.map((g) => window_("chat", g.name, g.channel, `${g.memberCount} 人 · ${g.ref}`, byTarget[g.ref] || [], null, null)));
  const assistants = document.getElementById("assistants");
  assistants.replaceChildren(...state.assistants.map((owner) => {
    const rows = owner.tasks.length ? owner.tasks.map((task) => el("div", { class: "card" },
      el("div", { class: "ct" }, task.text || "(附件)"),
      el("div", { class: "cd" }, `${task.chatIds.length} 个客户群 · 附件 ${task.attachments.length} · 已提醒 ${task.reminders} 次`),
      task.status === "pending"
        ? el("div", { class: "buttons" }, el("button", { class: "primary", onclick: async () => {
            flash(await api("/_sandbox/groupmsg/send", { userid: owner.userid, msgid: task.msgid })); refresh(true);
          } }, "发送"))
        : el("div", { class: "foot" }, task.status === "sent" ? "已发送" : "已停止"))) : el("div", { class: "empty" }, "没有待发送的群发");
    return el("div", { class: "phone" },
      el("div", { class: "title" }, el("span", {}, owner.name + " · 群发助手"), el("span", { class: "meta" }, owner.userid)),
      el("div", { class: "log" }, rows));
  }));
  const phones = document.getElementById("phones");
  phones.replaceChildren(...directory.users.map((u) => {
    const kind = u.userid ? "userid" : "openid";
    const person = { id: u.userid || u.openid, name: u.name };
    return window_("phone", u.name, kind === "userid" ? "wecom_app" : "miniprogram", person.id, byTarget[person.id] || [], person.id, composer(person, kind));
  }));
}

let polls = 0;

async function refresh(full) {
  try {
    // New messages only, except every 10th poll (or on demand), which also picks up updated cards.
    const everything = full === true || polls++ % 10 === 0;
    const since = everything ? 0 : state.messages.length ? state.messages[state.messages.length - 1].seq : 0;
    const [directory, page, groupmsg] = await Promise.all([api("/_sandbox/directory"), api("/_sandbox/messages?since=" + since), api("/_sandbox/groupmsg")]);
    const assistantsChanged = JSON.stringify(groupmsg.owners) !== JSON.stringify(state.assistants);
    state.assistants = groupmsg.owners || [];
    const messages = everything ? page.messages : state.messages.concat(page.messages);
    const changed = assistantsChanged || JSON.stringify(directory) !== JSON.stringify(state.directory) || messages.length !== state.messages.length
      || (everything && JSON.stringify(messages.map((m) => m.cardState || null)) !== JSON.stringify(state.messages.map((m) => m.cardState || null)));
    state.directory = directory;
    state.messages = messages;
    if (changed) draw();
    if (document.getElementById("status").textContent === "连接中…") document.getElementById("status").textContent = "已连接 connected";
  } catch (error) {
    document.getElementById("status").textContent = "沙箱无响应 sandbox unreachable";
  }
}

document.getElementById("reset").addEventListener("click", async () => { await api("/_sandbox/reset", {}); state.messages = []; refresh(true); });
refresh();
setInterval(refresh, 1500);
