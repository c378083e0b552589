"""The local stack behind `make run`: DynamoDB Local, moto's S3 and our own small
API Gateway (REST, WebSocket, @connections, schedules, async invocations) on
loopback. Development only: never part of the Lambda package. See docs/local-stack.md."""
