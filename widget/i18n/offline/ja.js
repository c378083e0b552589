// The offline message form, in Japanese: the strings of offline.js, which loads
// them with itself only when the form is shown (nobody can chat and the service
// takes offline messages). Every language has the same keys and holes
// (tests/e2e/test_visitor_widget.py).

export default {
  offlineTitle: 'メッセージを残す',
  offlineLead: 'メールでご返信いたします。',
  offlineName: 'お名前',
  offlineEmail: 'メールアドレス',
  offlineCategory: '種類（任意）',
  offlineAgree: '上記に同意します',
  offlineNeedName: 'お名前を入力してください。',
  offlineNeedText: 'お問い合わせ内容を入力してください。',
  offlineNeedConsent: '上記への同意が必要です。',
  offlineReceived: '受け付けました: #{number}',
  offlineThanks: 'ありがとうございます。メールでご返信いたします。',
  offlineRateLimited: '送信回数が多すぎます。しばらくしてから再度お試しください。',
  offlineBadRequest: '入力内容をご確認ください: {message}',
  offlineRefused: '現在、ここからはメッセージを送信できません。',
};
