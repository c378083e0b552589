// When nobody can chat, in Japanese: the strings of away.js (the absent popup,
// the closed view with the opening times), which loads them with itself only
// when one of them is shown (so the chat opens without them). Every language
// has the same keys and holes (tests/e2e/test_visitor_widget.py).

export default {
  absentTitle: 'オペレーター不在',
  absentBody: '現在、対応できるオペレーターがおりません。お問い合わせフォームから' +
    'ご質問をお送りいただければ、追ってご連絡いたします。',
  absentNoForm: '現在、対応できるオペレーターがおりません。しばらくしてから再度お試しください。',
  absentForm: 'お問い合わせフォームからご用件をお送りください。追ってご連絡いたします。',
  absentLater: 'しばらくしてから再度お試しください。',
  inquiry: 'お問い合わせ',
  checkAgain: 'もう一度確認',
  busyTitle: 'ただいま大変混み合っています',
  busyBody: '現在お待ちのお客様が多いため、新しいチャットを開始できません。' +
    'お問い合わせフォームからご質問をお送りいただければ、追ってご連絡いたします。',
  busyNoForm: '現在お待ちのお客様が多いため、新しいチャットを開始できません。' +
    'しばらくしてから再度お試しください。',
  tooManyTitle: 'チャットを開始できません',
  tooManyBody: 'ご利用の接続から開かれているチャットが多すぎます。開いているチャットを終了してから' +
    '再度お試しいただくか、お問い合わせフォームからご質問をお送りください。',
  tooManyNoForm: 'ご利用の接続から開かれているチャットが多すぎます。開いているチャットを終了してから' +
    '再度お試しください。',
  closedTitle: '営業時間外',
  hoursTitle: '営業時間（{zone}）',
  hoursClosed: '休業',
  hoursHolidays: '祝日（{country}）は休業です。',
  hoursClosedOn: '休業日: {dates}',
  hoursYearly: '毎年{date}',
  nextOpen: '次の営業開始: {when}（{zone}）',
};
