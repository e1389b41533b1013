// Where the mini program finds the PushTask server, and the subscribe-message templates it asks for.
// Change baseUrl to your server (HTTPS and listed under 服务器域名 in the mini program's console in
// production; in WeChat DevTools tick “不校验合法域名” to use http://127.0.0.1:8000).
module.exports = {
  baseUrl: 'http://127.0.0.1:8000',
  timeoutMs: 10000,
  // Template ids from 小程序后台 → 订阅消息; a reviewer is asked for these one-time subscriptions when
  // they confirm or modify a preview. Empty ids are left out; with none set, nothing is requested.
  subscribeTemplateIds: {
    preview: '',
    reminder: '',
    result: '',
  },
  // The name shown above the message bubble on the preview page, as group members will see it.
  senderName: '推送助手',
}
