"""The HTTP faces of `lambdactl serve`: Lambda's rest-json API, SQS's and CloudWatch Logs' JSON
protocols and function URLs, on one port. They call the same services and return the same
shapes as the CLI; this package (Starlette, uvicorn) is imported only by `serve`."""
