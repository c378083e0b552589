// When nobody can chat, in Korean: the strings of away.js (the absent popup,
// the closed view with the opening times), which loads them with itself only
// when one of them is shown (so the chat opens without them). Every language
// has the same keys and holes (tests/e2e/test_visitor_widget.py).

export default {
  absentTitle: '상담원 부재',
  absentBody: '지금은 상담 가능한 상담원이 없습니다. 문의 양식으로 질문을 남겨 주시면 ' +
    '답변드리겠습니다.',
  absentNoForm: '지금은 상담 가능한 상담원이 없습니다. 잠시 후 다시 시도해 주세요.',
  absentForm: '문의 양식으로 문의 내용을 보내 주시면 답변드리겠습니다.',
  absentLater: '잠시 후 다시 시도해 주세요.',
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
  closedTitle: '운영 시간 외',
  hoursTitle: '운영 시간 ({zone})',
  hoursClosed: '휴무',
  hoursHolidays: '공휴일({country})은 휴무입니다.',
  hoursClosedOn: '휴무일: {dates}',
  hoursYearly: '매년 {date}',
  nextOpen: '다음 운영 시작: {when} ({zone})',
};
