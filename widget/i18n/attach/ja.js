// Attaching a file, in Japanese: the strings of attach.js, loaded with it the
// first time a file is attached. Same keys and holes as English (en.js here).

export default {
  uploading: '{name} をアップロード中',
  cancelUpload: '{name} の送信を取り消す',
  remove: '{name} を取り除く',
  type: '{name}: この形式のファイルは送信できません。送信できる形式: {types}',
  notType: '{name} は送信できませんでした。{kind} ファイルではありません。',
  size: '{name} は大きすぎるため送信できません（{max} まで）。',
  empty: '{name} は空のファイルのため送信できません。',
  again: '{name} は送信されませんでした。もう一度添付してください。',
  off: 'このチャットではファイルを送信できません。',
  busy: 'ファイルの送信が多すぎます。少し待ってからもう一度添付してください。',
  network: '{name} をアップロードできませんでした（接続エラー）。もう一度お試しください。',
  failed: '{name} をアップロードできませんでした。もう一度お試しください。',
};
