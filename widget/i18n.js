// Every string the chat UI shows, one table per language. Translating is
// editing data here; `{name}`-style holes are filled by t().

export const LANGUAGE_NAMES = { ja: '日本語', en: 'English', ko: '한국어' };

const STRINGS = {
  en: {
    launcher: 'Chat with us',
    title: 'Chat with us',
    minimize: 'Minimize chat',
    language: 'Language',
    rate: 'Rate',
    end: 'End chat',
    loading: 'Loading…',
    absentTitle: 'No operator available',
    absentBody: 'All our operators are away right now. Please send us your question ' +
      'through the inquiry form and we will get back to you.',
    absentNoForm: 'All our operators are away right now. Please try again later.',
    inquiry: 'Go to the inquiry form',
    checkAgain: 'Check again',
    busyTitle: 'All our operators are busy',
    busyBody: 'Too many customers are waiting right now, so a new chat cannot start. ' +
      'Please send us your question through the inquiry form and we will get back to you.',
    busyNoForm: 'Too many customers are waiting right now, so a new chat cannot start. ' +
      'Please try again in a few minutes.',
    tooManyTitle: 'Chat could not start',
    tooManyBody: 'Too many chats are already open from your connection. Please finish an ' +
      'open chat first, or send us your question through the inquiry form.',
    tooManyNoForm: 'Too many chats are already open from your connection. Please finish an ' +
      'open chat first, then try again.',
    ratingNotServed: 'You can rate the chat once an operator has joined it.',
    consentTitle: 'Before we start',
    consentLead: 'Please read how we use your information.',
    consentStart: 'Agree to the collection of personal information and start',
    nameLabel: 'Your name (optional)',
    emailLabel: 'Email (optional)',
    connecting: 'Connecting…',
    reconnecting: 'Connection lost. Reconnecting…',
    waiting: 'Waiting for an operator…',
    queued: 'Waiting for an operator. You are number {n} in the queue.',
    joined: '{name} joined the chat',
    withOperator: 'Chatting with {name}',
    operator: 'Operator',
    typing: '{name} is typing…',
    messageLabel: 'Message',
    placeholder: 'Type a message…',
    send: 'Send',
    sending: 'Sending…',
    notSent: 'Not sent',
    you: 'You',
    log: 'Conversation',
    ratingTitle: 'How was your chat?',
    ratingScore: 'Your score',
    star: '{n} out of 5',
    ratingComment: 'Comment (optional)',
    ratingSubmit: 'Send rating',
    back: 'Back to chat',
    ratingThanks: 'Thank you for your rating!',
    endConfirm: 'End this chat?',
    cancel: 'Cancel',
    ended: 'This chat has ended. Thank you for contacting us!',
    newChat: 'Start a new chat',
    unavailable: 'Chat is not available right now.',
    error: 'Something went wrong. Please try again.',
    tryAgain: 'Try again',
    tooLong: 'A message is at most 5,000 characters.',
  },
  ja: {
    launcher: 'チャットで問い合わせる',
    title: 'チャット相談',
    minimize: 'チャットを最小化',
    language: '言語',
    rate: '評価',
    end: 'チャット終了',
    loading: '読み込み中…',
    absentTitle: 'オペレーター不在',
    absentBody: '現在、対応できるオペレーターがおりません。お問い合わせフォームから' +
      'ご質問をお送りいただければ、追ってご連絡いたします。',
    absentNoForm: '現在、対応できるオペレーターがおりません。しばらくしてから再度お試しください。',
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
    ratingNotServed: 'オペレーターが対応を始めてから評価できます。',
    consentTitle: 'チャットを始める前に',
    consentLead: '個人情報の取り扱いについてご確認ください。',
    consentStart: '個人情報収集に同意してお問い合わせ',
    nameLabel: 'お名前（任意）',
    emailLabel: 'メールアドレス（任意）',
    connecting: '接続しています…',
    reconnecting: '接続が切れました。再接続しています…',
    waiting: 'オペレーターの応答をお待ちください…',
    queued: 'オペレーターの応答をお待ちください。現在 {n} 番目です。',
    joined: '{name}が入室しました',
    withOperator: '{name}が対応しています',
    operator: 'オペレーター',
    typing: '{name}が入力中…',
    messageLabel: 'メッセージ',
    placeholder: 'メッセージを入力…',
    send: '送信',
    sending: '送信中…',
    notSent: '送信できませんでした',
    you: 'あなた',
    log: '会話',
    ratingTitle: 'チャットの満足度を教えてください',
    ratingScore: '評価',
    star: '5段階中 {n}',
    ratingComment: 'コメント（任意）',
    ratingSubmit: '評価を送信',
    back: 'チャットに戻る',
    ratingThanks: '評価いただきありがとうございました。',
    endConfirm: 'チャットを終了しますか？',
    cancel: 'キャンセル',
    ended: 'チャットは終了しました。お問い合わせありがとうございました。',
    newChat: '新しいチャットを開始',
    unavailable: '現在チャットはご利用いただけません。',
    error: 'エラーが発生しました。もう一度お試しください。',
    tryAgain: '再試行',
    tooLong: 'メッセージは5,000文字までです。',
  },
  ko: {
    launcher: '채팅 문의',
    title: '채팅 상담',
    minimize: '채팅 최소화',
    language: '언어',
    rate: '평가',
    end: '채팅 종료',
    loading: '불러오는 중…',
    absentTitle: '상담원 부재',
    absentBody: '지금은 상담 가능한 상담원이 없습니다. 문의 양식으로 질문을 남겨 주시면 ' +
      '답변드리겠습니다.',
    absentNoForm: '지금은 상담 가능한 상담원이 없습니다. 잠시 후 다시 시도해 주세요.',
    inquiry: '문의하기',
    checkAgain: '다시 확인',
    busyTitle: '지금은 상담 요청이 많습니다',
    busyBody: '대기 중인 고객이 많아 새 채팅을 시작할 수 없습니다. ' +
      '문의 양식으로 질문을 남겨 주시면 답변드리겠습니다.',
    busyNoForm: '대기 중인 고객이 많아 새 채팅을 시작할 수 없습니다. 잠시 후 다시 시도해 주세요.',
    tooManyTitle: '채팅을 시작할 수 없습니다',
    tooManyBody: '이 연결에서 열린 채팅이 너무 많습니다. 열린 채팅을 먼저 종료하시거나 ' +
      '문의 양식으로 질문을 남겨 주세요.',
    tooManyNoForm: '이 연결에서 열린 채팅이 너무 많습니다. 열린 채팅을 먼저 종료한 후 다시 시도해 주세요.',
    ratingNotServed: '상담원이 응대를 시작한 후에 평가할 수 있습니다.',
    consentTitle: '채팅을 시작하기 전에',
    consentLead: '개인정보 처리에 대해 확인해 주세요.',
    consentStart: '개인정보 수집에 동의하고 문의하기',
    nameLabel: '이름 (선택)',
    emailLabel: '이메일 (선택)',
    connecting: '연결 중…',
    reconnecting: '연결이 끊겼습니다. 다시 연결하는 중…',
    waiting: '상담원을 기다리는 중…',
    queued: '상담원을 기다리는 중입니다. 대기 순서: {n}번째',
    joined: '{name} 님이 입장했습니다',
    withOperator: '{name} 님과 상담 중',
    operator: '상담원',
    typing: '{name} 님이 입력 중…',
    messageLabel: '메시지',
    placeholder: '메시지를 입력하세요…',
    send: '보내기',
    sending: '보내는 중…',
    notSent: '전송 실패',
    you: '나',
    log: '대화',
    ratingTitle: '상담은 어떠셨나요?',
    ratingScore: '평점',
    star: '5점 중 {n}점',
    ratingComment: '의견 (선택)',
    ratingSubmit: '평가 보내기',
    back: '채팅으로 돌아가기',
    ratingThanks: '평가해 주셔서 감사합니다!',
    endConfirm: '채팅을 종료할까요?',
    cancel: '취소',
    ended: '채팅이 종료되었습니다. 문의해 주셔서 감사합니다!',
    newChat: '새 채팅 시작',
    unavailable: '지금은 채팅을 이용할 수 없습니다.',
    error: '오류가 발생했습니다. 다시 시도해 주세요.',
    tryAgain: '다시 시도',
    tooLong: '메시지는 5,000자까지 보낼 수 있습니다.',
  },
};

export const SUPPORTED = Object.keys(STRINGS);

/** The UI language: the visitor's own choice, else the page's, else the
 * service's default — each only when the service offers it. */
export function chooseLanguage(offered, { chosen, page, fallback }) {
  const usable = offered.filter((code) => SUPPORTED.includes(code));
  for (const code of [chosen, page, fallback]) {
    if (code && usable.includes(code)) return code;
  }
  return usable[0] || 'en';
}

export function translator(lang) {
  const table = STRINGS[lang] || STRINGS.en;
  return (id, holes = {}) =>
    (table[id] ?? STRINGS.en[id] ?? id).replace(/\{(\w+)\}/g, (_, name) => String(holes[name] ?? ''));
}
