"""What `Ref` and `Fn::GetAtt` give for each resource type, with lambdactl's local names.

A resource's name is its name property (`FunctionName`, `QueueName`, ...) when set, else its
logical ID (CloudFormation would make one up; locally the logical ID is the name everyone
sees; a bucket's in lower case, as bucket names are). ARNs use the template's region and
account, so they match lambdactl's own.
"""

from __future__ import annotations

from .. import arns, ids

NAME_PROPERTIES: dict[str, str] = {
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Events::Rule": "Name",
    "AWS::Serverless::Api": "Name",
    "AWS::Serverless::HttpApi": "Name",
    "AWS::ApiGateway::RestApi": "Name",
    "AWS::ApiGatewayV2::Api": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Events::EventBus": "Name",
    "AWS::SSM::Parameter": "Name",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
}
"""The property that names a resource of each type, where one does."""

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
API_TYPES = (
    "AWS::Serverless::Api",
    "AWS::Serverless::HttpApi",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGatewayV2::Api",
)
DYNAMODB_STREAM_LABEL = "1970-01-01T00:00:00.000"
"""The label of every local DynamoDB table's stream ARN (AWS's is the stream's creation time)."""


IMPLICIT_APIS = {"ServerlessRestApi": "REST", "ServerlessHttpApi": "HTTP"}
"""SAM's implicit APIs, and their kind."""


def api_id(logical_id: str, *, region: str, account: str) -> str:
    """The API's id: the one its routes' events carry (`routes.api_id`), so a URL a template
    builds with `!Sub https://${ServerlessHttpApi}.execute-api...` names the same API."""
    kind = IMPLICIT_APIS.get(logical_id)
    name = ids.IMPLICIT_API_NAMES[kind] if kind else logical_id
    return ids.api_id(account, region, name)


def ref(kind: str, logical_id: str, name: str, *, region: str, account: str) -> str:
    """What `Ref` returns for a resource of type `kind` named `name`."""
    if kind == "AWS::SQS::Queue":
        return arns.queue_url(region, account, name)
    if kind == "AWS::SNS::Topic":
        return f"arn:aws:sns:{region}:{account}:{name}"
    if kind in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
        return arns.layer_arn(region, account, name, 1)
    if kind in API_TYPES:
        return api_id(logical_id, region=region, account=account)
    if kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
        return f"arn:aws:states:{region}:{account}:stateMachine:{name}"
    return name


def getatt(
    kind: str, logical_id: str, name: str, attribute: str, *, region: str, account: str
) -> str | None:
    """What `Fn::GetAtt` returns, or None when the attribute has no local value."""
    table = getatt_table(kind, logical_id, name, region, account)
    return table.get(attribute)


def getatt_table(
    kind: str, logical_id: str, name: str, region: str, account: str
) -> dict[str, str]:
    """Every attribute of a resource of type `kind` that has a local value, by name."""
    if kind in FUNCTION_TYPES:
        return {"Arn": arns.function_arn(region, account, name)}
    if kind == "AWS::SQS::Queue":
        return {
            "Arn": arns.queue_arn(region, account, name),
            "QueueName": name,
            "QueueUrl": arns.queue_url(region, account, name),
        }
    if kind == "AWS::SNS::Topic":
        return {"TopicArn": f"arn:aws:sns:{region}:{account}:{name}", "TopicName": name}
    if kind in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
        return {"LayerVersionArn": arns.layer_arn(region, account, name, 1)}
    if kind == "AWS::Kinesis::Stream":
        return {"Arn": arns.stream_arn(region, account, name)}
    if kind in ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
        table = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        return {"Arn": table, "StreamArn": f"{table}/stream/{DYNAMODB_STREAM_LABEL}"}
    if kind == "AWS::S3::Bucket":
        return {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        }
    if kind == "AWS::IAM::Role":
        return {"Arn": f"arn:aws:iam::{account}:role/{name}", "RoleId": f"AROA{logical_id.upper()}"}
    if kind == "AWS::Events::Rule":
        return {"Arn": f"arn:aws:events:{region}:{account}:rule/{name}"}
    if kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
        return {
            "Arn": f"arn:aws:states:{region}:{account}:stateMachine:{name}",
            "Name": name,
        }
    if kind in ("AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api"):
        identifier = api_id(logical_id, region=region, account=account)
        return {"ApiEndpoint": f"https://{identifier}.execute-api.{region}.amazonaws.com"}
    if kind == "AWS::Logs::LogGroup":
        return {"Arn": f"arn:aws:logs:{region}:{account}:log-group:{name}:*"}
    if kind == "AWS::Events::EventBus":
        return {"Arn": f"arn:aws:events:{region}:{account}:event-bus/{name}", "Name": name}
    return {}
