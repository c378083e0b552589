// Attaching a file, in Korean: the strings of attach.js, loaded with it the
// first time a file is attached. Same keys and holes as English (en.js here).

export default {
  uploading: '{name} 업로드 중',
  cancelUpload: '{name} 전송 취소',
  remove: '{name} 제거',
  type: '{name}: 이 형식의 파일은 보낼 수 없습니다. 보낼 수 있는 형식: {types}',
  notType: '{name}을(를) 보내지 못했습니다. {kind} 파일이 아닙니다.',
  size: '{name}은(는) 너무 커서 보낼 수 없습니다({max}까지).',
  empty: '{name}은(는) 빈 파일이라 보낼 수 없습니다.',
  again: '{name}을(를) 보내지 못했습니다. 다시 첨부해 주세요.',
  off: '이 채팅에서는 파일을 보낼 수 없습니다.',
  busy: '파일을 너무 많이 보냈습니다. 잠시 후 다시 첨부해 주세요.',
  network: '{name}을(를) 업로드하지 못했습니다(연결 오류). 다시 시도해 주세요.',
  failed: '{name}을(를) 업로드하지 못했습니다. 다시 시도해 주세요.',
};
