// The offline message form, in Korean: the strings of offline.js, which loads
// them with itself only when the form is shown (nobody can chat and the service
// takes offline messages). Every language has the same keys and holes
// (tests/e2e/test_visitor_widget.py).

export default {
  offlineTitle: '메시지 남기기',
  offlineLead: '이메일로 답변드리겠습니다.',
  offlineName: '이름',
  offlineEmail: '이메일',
  offlineCategory: '문의 유형 (선택)',
  offlineAgree: '위 내용에 동의합니다',
  offlineNeedName: '이름을 입력해 주세요.',
  offlineNeedText: '문의 내용을 입력해 주세요.',
  offlineNeedConsent: '위 내용에 동의해 주세요.',
  offlineReceived: '접수되었습니다: #{number}',
  offlineThanks: '감사합니다. 이메일로 답변드리겠습니다.',
  offlineRateLimited: '전송 횟수가 너무 많습니다. 잠시 후 다시 시도해 주세요.',
  offlineBadRequest: '입력 내용을 확인해 주세요: {message}',
  offlineRefused: '지금은 여기에서 메시지를 보낼 수 없습니다.',
};
