// Deployment settings for the operator console. A deploy (S3/CloudFront) overwrites
// this file; the login screen's "Connection settings" can override apiBase per browser.
//   apiBase    where the REST API is: "/api" locally, or
//              "https://xxxx.execute-api.REGION.amazonaws.com/api" on AWS
//   serviceId  pre-filled service id on the login screen (optional)
//   wsUrl      WebSocket URL override (optional; normally the API returns it)
window.CONSOLE_CONFIG = {
  apiBase: "/api",
  serviceId: "",
  wsUrl: "",
};
