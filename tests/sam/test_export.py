"""`sam/export.py`: the manifest as a SAM template. Every template here goes through cfn-lint
(with its SAM transform, as `sam validate --lint` runs it), and the mapping is checked field
by field on a manifest that uses every feature."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

import lambdactl
from lambdactl import manifest
from lambdactl.sam import export
from lambdactl.sam.export import AliasPointer, GetAtt, Published, Ref, Sub
from lambdactl.sources import specs

REPOSITORY = Path(lambdactl.__file__).resolve().parent.parent

EVERYTHING = """\
region: eu-west-1
account: "123456789012"
defaults:
  runtime: python3.12
functions:
  api:
    handler: app.handler
    code: src/api
    description: Answers HTTP routes
    memory: 512
    timeout: 10
    environment: {TABLE: orders, PORT: "8080"}
    layers: [layers/common, layers/extra]
    reserved_concurrency: 5
    logging: {format: JSON, application_level: DEBUG, system_level: WARN}
    url:
      auth: AWS_IAM
      invoke_mode: RESPONSE_STREAM
      qualifier: live
      cors:
        allow_origins: ["https://example.com"]
        allow_methods: [GET, POST]
        allow_headers: [content-type]
        expose_headers: [x-request-id]
        allow_credentials: true
        max_age: 300
    events:
      - http: {path: "/users/{id}", method: GET}
      - http: {path: /legacy, method: POST, payload: "1.0"}
      - http:
          path: /files
          method: PUT
          payload: "1.0"
          api: uploads
          stage: v1
          binary_media_types: [image/png]
      - http: {path: /admin, api: admin}
      - http: {path: /old, enabled: false}
  order-worker:
    handler: app.handler
    code: src/worker
    runtime: python3.13
    timeout: 30
    layers: [layers/common]
    async:
      maximum_retry_attempts: 1
      maximum_event_age: 3600
      on_success: {function: sink}
      on_failure: {queue: failures}
    dead_letter: {queue: dead}
    events:
      - queue: orders
        batch_size: 20
        batching_window: 2
        report_batch_item_failures: true
        maximum_concurrency: 5
        filter: {body: {kind: [order]}}
      - queue: jobs.fifo
        enabled: false
      - stream: clicks
        starting_position: TRIM_HORIZON
        batch_size: 50
        batching_window: 5
        parallelization_factor: 2
        bisect_on_error: true
        maximum_retry_attempts: 3
        maximum_record_age: 3600
        tumbling_window: 60
        report_batch_item_failures: true
        on_failure: {queue: failures}
        filter: [{data: {kind: [click]}}]
      - stream: views
        starting_position: AT_TIMESTAMP
        starting_position_timestamp: 1700000000
      - sqs: {queue_url: "https://sqs.eu-west-1.amazonaws.com/210987654321/external", batch_size: 5}
      - kinesis: {stream_name: external-stream, starting_position: LATEST}
      - dynamodb: {table: Orders, starting_position: TRIM_HORIZON, batch_size: 10}
  sink:
    handler: app.handler
    code: src/sink
    async: {on_failure: {function: order-worker}}
    events:
      - topic: alerts
        filter_policy: {severity: [high]}
      - topic: quiet
        enabled: false
      - files: {path: uploads, events: [created]}
      - files: {path: uploads/in}
  cron:
    handler: app.handler
    code: src/cron
    events:
      - schedule: rate(5 minutes)
      - schedule: cron(0 12 * * ? *)
        input: {job: report}
        enabled: false
queues:
  orders: {visibility_timeout: 180, dead_letter: dead, max_receive_count: 3}
  dead: {retention: 1209600}
  failures: {}
  jobs.fifo: {fifo: true, content_based_deduplication: true, visibility_timeout: 60}
streams:
  clicks: {shards: 2, retention_hours: 48}
  views: {}
"""
"""A manifest with every feature the export maps. A named role, architectures, ephemeral
storage, tracing, a KMS key and an HTTP API route of payload 1.0 are added by `everything`:
the manifest has no key for them, the project gets them from the Lambda API or a template."""


KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

PUBLISHED = {
    "api": Published(
        "3",
        (
            AliasPointer("live", "3"),
            AliasPointer("stable", "1"),
            AliasPointer("canary", "3", {"2": 0.1}),
        ),
    )
}
"""`api` has 3 versions; `live` tracks the newest, the others cannot be exported."""


def write_everything(root: Path) -> Path:
    """The project of `EVERYTHING` in `root`: its code, layers and watched directories."""
    for name in ("api", "worker", "sink", "cron"):
        (root / "src" / name).mkdir(parents=True, exist_ok=True)
        (root / "src" / name / "app.py").write_text(
            "def handler(event, context):\n    return event\n"
        )
    for layer in ("common", "extra"):
        (root / "layers" / layer / "python").mkdir(parents=True, exist_ok=True)
        (root / "layers" / layer / "python" / f"{layer}.py").write_text("VALUE = 1\n")
    (root / "uploads" / "in").mkdir(parents=True, exist_ok=True)
    path = root / "functions.yaml"
    path.write_text(EVERYTHING)
    return path


def everything(root: Path) -> manifest.Manifest:
    """`EVERYTHING` loaded, with what its text cannot say added as the project would."""
    loaded = manifest.load(write_everything(root), remember=False)
    api = loaded.functions["api"]
    v1_route = specs.HttpSource(  # as the SAM reader reads an HttpApi event of payload 1.0
        uuid=specs.source_uuid("api", "http", "ANY /v1/{proxy+}", 0),
        function="api",
        path="/v1/{proxy+}",
        payload="1.0",
        api_type="HTTP",
    )
    config = dataclasses.replace(
        api.config,
        architectures=("arm64",),
        ephemeral_storage=1024,
        tracing="Active",
        kms_key_arn=KEY,
    )
    api = dataclasses.replace(api, config=config, events=(*api.events, v1_route))
    cron = loaded.functions["cron"]
    role = "arn:aws:iam::123456789012:role/cron"
    cron = dataclasses.replace(cron, config=dataclasses.replace(cron.config, role=role))
    return dataclasses.replace(loaded, functions={**loaded.functions, "api": api, "cron": cron})


def lint(text: str) -> list[tuple[str, str]]:
    """cfn-lint's findings on a template's text: (rule id, message), errors and warnings (its
    SAM transform included, so the events and aliases are checked as deployed)."""
    from cfnlint.api import lint as cfn_lint

    return [(m.rule.id, m.message) for m in cfn_lint(text, regions=["us-east-1"])]


def resources(exported: export.Template) -> dict[str, Any]:
    return dict(exported.body["Resources"])


def properties(exported: export.Template, logical_id: str) -> dict[str, Any]:
    return dict(exported.body["Resources"][logical_id]["Properties"])


@pytest.fixture
def exported(project_dir: Path) -> export.Template:
    return export.template(everything(project_dir), directory=project_dir, published=PUBLISHED)


# -- cfn-lint -----------------------------------------------------------------------------------


def test_the_sample_functions_pass_cfn_lint_but_for_their_runtimes_schedule() -> None:
    """The samples run on python3.11, whose creation AWS's schedule blocks from 2026-07-31:
    cfn-lint says so (E2533, one per function, by today's date), and says nothing else."""
    loaded = manifest.load(REPOSITORY / "functions.yaml", remember=False)
    exported = export.template(loaded, directory=REPOSITORY)
    found = lint(export.yaml_text(exported))
    others = [f for f in found if not (f[0] in ("E2533", "W2531") and "python3.11" in f[1])]
    assert others == []
    assert exported.notes == (
        "python3.11 (hello, orders, divide): AWS stops creating functions on it from "
        "2026-07-31 (its deprecation schedule); deploy with a newer runtime",
    )


def test_the_sample_functions_on_a_current_runtime_pass_cfn_lint() -> None:
    text = (REPOSITORY / "functions.yaml").read_text().replace("python3.11", "python3.13")
    path = REPOSITORY / "functions.yaml"
    loaded = manifest.parse(text, path)
    assert lint(export.yaml_text(export.template(loaded, directory=REPOSITORY))) == []


def test_every_feature_passes_cfn_lint(exported: export.Template) -> None:
    """No error and no warning: the transform accepts every event, the roles and the
    resources they name exist, and two functions that are each other's destination make no
    dependency cycle."""
    assert lint(export.yaml_text(exported)) == []
    assert lint(export.json_text(exported)) == []


# -- the mapping, field by field -----------------------------------------------------------------


def test_the_document(exported: export.Template) -> None:
    body = exported.body
    assert list(body)[:3] == ["AWSTemplateFormatVersion", "Transform", "Description"]
    assert body["Transform"] == "AWS::Serverless-2016-10-31"
    assert list(body["Parameters"]) == ["OrdersStreamArn"]
    kinds = {key: value["Type"] for key, value in resources(exported).items()}
    assert kinds == {
        "ApiFunction": "AWS::Serverless::Function",
        "ApiFunctionRole": "AWS::IAM::Role",
        "OrderWorkerFunction": "AWS::Serverless::Function",
        "OrderWorkerFunctionRole": "AWS::IAM::Role",
        "SinkFunction": "AWS::Serverless::Function",
        "SinkFunctionRole": "AWS::IAM::Role",
        "CronFunction": "AWS::Serverless::Function",
        "CommonLayer": "AWS::Serverless::LayerVersion",
        "ExtraLayer": "AWS::Serverless::LayerVersion",
        "OrdersQueue": "AWS::SQS::Queue",
        "DeadQueue": "AWS::SQS::Queue",
        "FailuresQueue": "AWS::SQS::Queue",
        "JobsFifoQueue": "AWS::SQS::Queue",
        "ClicksStream": "AWS::Kinesis::Stream",
        "ViewsStream": "AWS::Kinesis::Stream",
        "AlertsTopic": "AWS::SNS::Topic",
        "QuietTopic": "AWS::SNS::Topic",
        "UploadsBucket": "AWS::S3::Bucket",
        "UploadsInBucket": "AWS::S3::Bucket",
        "uploads": "AWS::Serverless::Api",
        "admin": "AWS::Serverless::HttpApi",
    }
    assert (exported.functions, exported.resources) == (4, 21)


def test_a_function(exported: export.Template) -> None:
    api = properties(exported, "ApiFunction")
    events = api.pop("Events")
    assert api == {
        "FunctionName": "api",
        "CodeUri": "src/api",
        "Handler": "app.handler",
        "Runtime": "python3.12",
        "MemorySize": 512,
        "Timeout": 10,
        "Description": "Answers HTTP routes",
        "Environment": {"Variables": {"TABLE": "orders", "PORT": "8080"}},
        "Architectures": ["arm64"],
        "EphemeralStorage": {"Size": 1024},
        "Tracing": "Active",
        "KmsKeyArn": KEY,
        "LoggingConfig": {
            "LogFormat": "JSON",
            "ApplicationLogLevel": "DEBUG",
            "SystemLogLevel": "WARN",
        },
        "Layers": [Ref("CommonLayer"), Ref("ExtraLayer")],
        "ReservedConcurrentExecutions": 5,
        "Role": GetAtt("ApiFunctionRole"),
        "AutoPublishAlias": "live",
        "FunctionUrlConfig": {
            "AuthType": "AWS_IAM",
            "Cors": {
                "AllowOrigins": ["https://example.com"],
                "AllowMethods": ["GET", "POST"],
                "AllowHeaders": ["content-type"],
                "ExposeHeaders": ["x-request-id"],
                "AllowCredentials": True,
                "MaxAge": 300,
            },
            "InvokeMode": "RESPONSE_STREAM",
        },
    }
    assert events == {
        "HttpApiGETUsersId": {
            "Type": "HttpApi",
            "Properties": {"Path": "/users/{id}", "Method": "get"},
        },
        "HttpApiANYV1Proxy": {
            "Type": "HttpApi",
            "Properties": {"Path": "/v1/{proxy+}", "Method": "any", "PayloadFormatVersion": "1.0"},
        },
        "ApiPOSTLegacy": {"Type": "Api", "Properties": {"Path": "/legacy", "Method": "post"}},
        "ApiPUTFiles": {
            "Type": "Api",
            "Properties": {"Path": "/files", "Method": "put", "RestApiId": Ref("uploads")},
        },
        "HttpApiANYAdmin": {
            "Type": "HttpApi",
            "Properties": {"Path": "/admin", "Method": "any", "ApiId": Ref("admin")},
        },
    }
    assert properties(exported, "uploads") == {
        "Name": "uploads",
        "StageName": "v1",
        "BinaryMediaTypes": ["image/png"],
    }
    assert properties(exported, "admin") == {"Name": "admin"}


def test_defaults_are_left_out_but_the_essentials(project_dir: Path) -> None:
    loaded = manifest.load(project_dir / "functions.yaml", remember=False)
    hello = properties(export.template(loaded, directory=project_dir), "HelloFunction")
    assert hello == {
        "FunctionName": "hello",
        "CodeUri": "src/hello",
        "Handler": "app.handler",
        "Runtime": "python3.11",
        "MemorySize": 128,
        "Timeout": 3,
        "Description": "Greets",
        "Environment": {"Variables": {"GREETING": "Hello"}},
        "Role": GetAtt("HelloFunctionRole"),
    }


def test_async_config_destinations_and_dead_letter_queue(exported: export.Template) -> None:
    worker = properties(exported, "OrderWorkerFunction")
    assert worker["EventInvokeConfig"] == {
        "MaximumRetryAttempts": 1,
        "MaximumEventAgeInSeconds": 3600,
        "DestinationConfig": {
            "OnSuccess": {"Type": "Lambda", "Destination": GetAtt("SinkFunction")},
            "OnFailure": {"Type": "SQS", "Destination": GetAtt("FailuresQueue")},
        },
    }
    assert worker["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": GetAtt("DeadQueue")}
    assert properties(exported, "SinkFunction")["EventInvokeConfig"] == {
        "DestinationConfig": {
            "OnFailure": {"Type": "Lambda", "Destination": GetAtt("OrderWorkerFunction")}
        }
    }


def test_queue_and_stream_events(exported: export.Template) -> None:
    events = properties(exported, "OrderWorkerFunction")["Events"]
    assert events["SQSOrders"] == {
        "Type": "SQS",
        "Properties": {
            "Queue": GetAtt("OrdersQueue"),
            "BatchSize": 20,
            "MaximumBatchingWindowInSeconds": 2,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "FilterCriteria": {"Filters": [{"Pattern": '{"body":{"kind":["order"]}}'}]},
            "ScalingConfig": {"MaximumConcurrency": 5},
        },
    }
    assert events["SQSJobsFifo"] == {
        "Type": "SQS",
        "Properties": {"Queue": GetAtt("JobsFifoQueue"), "Enabled": False},
    }
    assert events["KinesisClicks"] == {
        "Type": "Kinesis",
        "Properties": {
            "Stream": GetAtt("ClicksStream"),
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 50,
            "MaximumBatchingWindowInSeconds": 5,
            "ParallelizationFactor": 2,
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 3,
            "MaximumRecordAgeInSeconds": 3600,
            "TumblingWindowInSeconds": 60,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "FilterCriteria": {"Filters": [{"Pattern": '{"data":{"kind":["click"]}}'}]},
            "DestinationConfig": {
                "OnFailure": {"Type": "SQS", "Destination": GetAtt("FailuresQueue")}
            },
        },
    }
    assert events["KinesisViews"]["Properties"] == {
        "Stream": GetAtt("ViewsStream"),
        "StartingPosition": "AT_TIMESTAMP",
        "StartingPositionTimestamp": 1700000000.0,
    }
    assert events["SQSExternal"]["Properties"] == {
        "Queue": "arn:aws:sqs:eu-west-1:210987654321:external",
        "BatchSize": 5,
    }
    assert events["KinesisExternalStream"]["Properties"] == {
        "Stream": Sub(
            "arn:${AWS::Partition}:kinesis:eu-west-1:${AWS::AccountId}:stream/external-stream"
        ),
        "StartingPosition": "LATEST",
    }
    assert events["DynamoDBOrders"] == {
        "Type": "DynamoDB",
        "Properties": {
            "Stream": Ref("OrdersStreamArn"),
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 10,
        },
    }
    assert exported.body["Parameters"]["OrdersStreamArn"] == {
        "Type": "String",
        "Description": "The ARN of DynamoDB table Orders's stream (its LatestStreamArn): "
        "override the default with it to deploy",
        "Default": "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/*",
        "AllowedPattern": "arn:aws[a-zA-Z-]*:dynamodb:.+:table/.+/stream/.+",
    }


def test_schedule_topic_and_file_events(exported: export.Template) -> None:
    cron = properties(exported, "CronFunction")
    assert cron["Role"] == "arn:aws:iam::123456789012:role/cron"
    assert "CronFunctionRole" not in exported.body["Resources"]
    assert cron["Events"] == {
        "Schedule1": {"Type": "Schedule", "Properties": {"Schedule": "rate(5 minutes)"}},
        "Schedule2": {
            "Type": "Schedule",
            "Properties": {
                "Schedule": "cron(0 12 * * ? *)",
                "Input": '{"job":"report"}',
                "State": "DISABLED",
            },
        },
    }
    sink = properties(exported, "SinkFunction")["Events"]
    assert sink == {
        "SNSAlerts": {
            "Type": "SNS",
            "Properties": {"Topic": Ref("AlertsTopic"), "FilterPolicy": {"severity": ["high"]}},
        },
        "S3Uploads": {
            "Type": "S3",
            "Properties": {"Bucket": Ref("UploadsBucket"), "Events": ["s3:ObjectCreated:*"]},
        },
        "S3UploadsIn": {
            "Type": "S3",
            "Properties": {
                "Bucket": Ref("UploadsInBucket"),
                "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
            },
        },
    }
    bucket = exported.body["Resources"]["UploadsInBucket"]
    assert bucket == {
        "Type": "AWS::S3::Bucket",
        "Metadata": {"Lambdactl": {"Directory": "uploads/in"}},
    }
    assert properties(exported, "QuietTopic") == {"TopicName": "quiet"}


def test_queues_streams_topics_and_layers(exported: export.Template) -> None:
    assert properties(exported, "OrdersQueue") == {
        "QueueName": "orders",
        "VisibilityTimeout": 180,
        "RedrivePolicy": {"deadLetterTargetArn": GetAtt("DeadQueue"), "maxReceiveCount": 3},
    }
    assert properties(exported, "DeadQueue") == {
        "QueueName": "dead",
        "MessageRetentionPeriod": 1209600,
    }
    assert properties(exported, "JobsFifoQueue") == {
        "QueueName": "jobs.fifo",
        "VisibilityTimeout": 60,
        "FifoQueue": True,
        "ContentBasedDeduplication": True,
    }
    assert properties(exported, "ClicksStream") == {
        "Name": "clicks",
        "ShardCount": 2,
        "RetentionPeriodHours": 48,
    }
    assert properties(exported, "ViewsStream")["ShardCount"] == 1
    assert properties(exported, "AlertsTopic") == {"TopicName": "alerts"}
    assert properties(exported, "CommonLayer") == {
        "LayerName": "common",
        "ContentUri": "layers/common",
        "CompatibleRuntimes": ["python3.12", "python3.13"],
    }


def test_each_role_allows_what_its_sources_and_destinations_need(
    exported: export.Template,
) -> None:
    role = properties(exported, "OrderWorkerFunctionRole")
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert role["ManagedPolicyArns"] == [Sub(export.BASIC_EXECUTION_POLICY)]
    allowed = {
        (action, str(statement["Resource"]))
        for statement in role["Policies"][0]["PolicyDocument"]["Statement"]
        for action in statement["Action"]
    }
    read_queue = {(a, str(GetAtt("OrdersQueue"))) for a in export.QUEUE_READ}
    read_stream = {(a, str(GetAtt("ClicksStream"))) for a in export.KINESIS_READ}
    assert read_queue | read_stream <= allowed
    assert ("sqs:ReceiveMessage", "arn:aws:sqs:eu-west-1:210987654321:external") in allowed
    assert ("dynamodb:GetRecords", str(Ref("OrdersStreamArn"))) in allowed
    assert ("sqs:SendMessage", str(GetAtt("FailuresQueue"))) in allowed  # on failure
    assert ("sqs:SendMessage", str(GetAtt("DeadQueue"))) in allowed  # dead-letter queue
    sink = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:sink"
    assert ("lambda:InvokeFunction", str(Sub(sink))) in allowed  # on success
    api_role = properties(exported, "ApiFunctionRole")
    assert "Policies" not in api_role  # HTTP routes need no role: API Gateway's permission


def test_aliases_other_than_the_tracking_one_are_notes(exported: export.Template) -> None:
    assert exported.notes == (
        "api: alias 'canary' -> version 3 (+10% to version 2): a template publishes one "
        "version per deploy (AutoPublishAlias 'live'), it cannot remake an older one; create "
        "this alias after deploying",
        "api: alias 'stable' -> version 1: a template publishes one version per deploy "
        "(AutoPublishAlias 'live'), it cannot remake an older one; create this alias after "
        "deploying",
        "api: the disabled http source 'ANY /old': SAM's Api/HttpApi events cannot be disabled",
        "order-worker: the DynamoDB table Orders: its stream's ARN is the parameter "
        "OrdersStreamArn, to give at deploy (--parameter-overrides OrdersStreamArn=ARN)",
        "sink: the disabled topic source 'quiet': SAM's SNS events cannot be disabled",
    )
    assert exported.body["Metadata"] == {"Lambdactl": {"Notes": list(exported.notes)}}


def test_no_alias_tracks_an_older_version(project_dir: Path) -> None:
    loaded = manifest.load(project_dir / "functions.yaml", remember=False)
    published = {"hello": Published("2", (AliasPointer("live", "1"),))}
    exported = export.template(loaded, directory=project_dir, published=published)
    assert "AutoPublishAlias" not in properties(exported, "HelloFunction")
    assert exported.notes[-1].startswith("hello: alias 'live' -> version 1: a template")


def test_a_url_on_latest_beside_an_auto_published_alias_is_a_note(
    write_manifest: Any, project_dir: Path
) -> None:
    path = write_manifest(
        """\
        functions:
          hello: {handler: app.handler, code: src/hello, runtime: python3.12, url: true}
        """
    )
    published = {"hello": Published("1", (AliasPointer("live", "1"),))}
    exported = export.template(
        manifest.load(path, remember=False), directory=project_dir, published=published
    )
    assert properties(exported, "HelloFunction")["FunctionUrlConfig"] == {"AuthType": "NONE"}
    assert exported.notes == (
        "hello: the function URL invokes $LATEST here; SAM attaches it to the alias 'live'",
    )


def test_paths_are_relative_to_the_template(exported: export.Template, project_dir: Path) -> None:
    elsewhere = project_dir / "deploy" / "sam"
    moved = export.template(everything(project_dir), directory=elsewhere, published=PUBLISHED)
    assert properties(moved, "ApiFunction")["CodeUri"] == "../../src/api"
    assert properties(moved, "CommonLayer")["ContentUri"] == "../../layers/common"
    assert moved.header[0].endswith("from ../../functions.yaml.")


def test_logical_ids_are_valid_and_unique(write_manifest: Any, project_dir: Path) -> None:
    path = write_manifest(
        """\
        defaults: {runtime: python3.12}
        functions:
          order-sync: {handler: app.handler, code: src/hello}
          order_sync: {handler: app.handler, code: src/hello}
          Order-Sync: {handler: app.handler, code: src/hello}
        """
    )
    exported = export.template(manifest.load(path, remember=False), directory=project_dir)
    names = {
        key: value["Properties"]["FunctionName"]
        for key, value in resources(exported).items()
        if value["Type"] == export.FUNCTION
    }
    assert names == {
        "OrderSyncFunction": "order-sync",
        "OrderSyncFunction2": "order_sync",
        "OrderSyncFunction3": "Order-Sync",
    }
    assert lint(export.yaml_text(exported)) == []


# -- the text ----------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """CloudFormation's short tags read back into their long forms."""


_Loader.add_constructor("!Ref", lambda loader, node: {"Ref": node.value})
_Loader.add_constructor("!GetAtt", lambda loader, node: {"Fn::GetAtt": node.value.split(".", 1)})
_Loader.add_constructor("!Sub", lambda loader, node: {"Fn::Sub": node.value})


def test_yaml_and_json_say_the_same(exported: export.Template) -> None:
    text = export.yaml_text(exported)
    assert yaml.load(text, Loader=_Loader) == json.loads(export.json_text(exported))
    assert "Role: !GetAtt ApiFunctionRole.Arn\n" in text  # short tags, written plainly
    assert "- !Ref CommonLayer\n" in text
    assert text.startswith("# AWS SAM template written by lambdactl")


def test_output_is_deterministic(project_dir: Path) -> None:
    first = export.template(everything(project_dir), directory=project_dir, published=PUBLISHED)
    second = export.template(everything(project_dir), directory=project_dir, published=PUBLISHED)
    assert export.yaml_text(first) == export.yaml_text(second)
    assert export.json_text(first) == export.json_text(second)


def test_the_header_names_lambdactl_and_the_manifest(project_dir: Path) -> None:
    loaded = manifest.load(project_dir / "functions.yaml", remember=False)
    text = export.yaml_text(export.template(loaded, directory=project_dir, version="1.2.3"))
    assert text.startswith(
        textwrap.dedent(
            """\
            # AWS SAM template written by lambdactl 1.2.3 from functions.yaml.
            # Regenerate it with `lambdactl export sam`; edits here are not read back into
            # functions.yaml.
            AWSTemplateFormatVersion: '2010-09-09'
            """
        )
    )


def test_an_api_is_named_by_its_name_where_it_can_be(
    write_manifest: Any, project_dir: Path
) -> None:
    """A route's API read back from the template is the API's logical ID: the API's name,
    when that is one (letters and digits); else a logical ID made of it."""
    path = write_manifest(
        """\
        functions:
          hello:
            handler: app.handler
            code: src/hello
            runtime: python3.12
            events:
              - http: {path: /a, api: shop}
              - http: {path: /b, api: my-api}
              - http: {path: /c, payload: "1.0", stage: dev}
        """
    )
    exported = export.template(manifest.load(path, remember=False), directory=project_dir)
    apis = {
        key: value["Properties"]
        for key, value in resources(exported).items()
        if value["Type"] in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi")
    }
    assert apis == {
        "shop": {"Name": "shop"},
        "MyApiApi": {"Name": "my-api"},
        "RestDevApi": {"StageName": "dev"},
    }
    events = properties(exported, "HelloFunction")["Events"]
    assert [
        e["Properties"].get("ApiId", e["Properties"].get("RestApiId")) for e in events.values()
    ] == [
        Ref("shop"),
        Ref("MyApiApi"),
        Ref("RestDevApi"),
    ]
    assert lint(export.yaml_text(exported)) == []


def test_a_function_that_cannot_run_here_is_a_note_and_named_by_its_arn(
    write_manifest: Any, project_dir: Path
) -> None:
    path = write_manifest(
        """\
        defaults: {runtime: python3.12}
        functions:
          hello: {handler: app.handler, code: src/hello, async: {on_success: {function: far}}}
          far: {handler: app.handler, code: src/hello}
        """
    )
    loaded = manifest.load(path, remember=False)
    far = dataclasses.replace(loaded.functions["far"], unavailable="its code is in S3")
    loaded = dataclasses.replace(loaded, functions={**loaded.functions, "far": far})
    exported = export.template(loaded, directory=project_dir)
    assert set(resources(exported)) == {"HelloFunction", "HelloFunctionRole"}
    assert exported.notes == ("far: not exported: its code is in S3",)
    arn = Sub(export.FUNCTION_ARN + "far")
    destination = properties(exported, "HelloFunction")["EventInvokeConfig"]
    assert destination == {
        "DestinationConfig": {"OnSuccess": {"Type": "Lambda", "Destination": arn}}
    }
    assert lint(export.yaml_text(exported)) == []


def test_an_http_apis_route_is_an_http_api_event_whatever_its_payload(
    write_manifest: Any, project_dir: Path
) -> None:
    """The kind of API decides the event type (`Api` / `HttpApi`), the payload format only
    PayloadFormatVersion; read back, each route is of the same kind and payload."""
    path = write_manifest(
        """\
        functions:
          hello:
            handler: app.handler
            code: src/hello
            runtime: python3.12
            events:
              - http: {path: /rest, payload: "1.0"}
              - http: {path: /old, payload: "1.0", api_type: http}
              - http: {path: /staged, payload: "1.0", api_type: http, stage: beta}
              - http: {path: /new}
        """
    )
    declared = manifest.load(path, remember=False)
    exported = export.template(declared, directory=project_dir)
    events = properties(exported, "HelloFunction")["Events"]
    assert [(e["Type"], e["Properties"].get("PayloadFormatVersion")) for e in events.values()] == [
        ("Api", None),
        ("HttpApi", "1.0"),
        ("HttpApi", "1.0"),
        ("HttpApi", None),
    ]
    staged = [e["Properties"]["ApiId"] for e in events.values() if "ApiId" in e["Properties"]]
    (api_id,) = staged
    assert resources(exported)[api_id.name] == {
        "Type": "AWS::Serverless::HttpApi",
        "Properties": {"StageName": "beta"},
    }
    template = project_dir / "template.yaml"
    template.write_text(export.yaml_text(exported))
    read = manifest.load(template, remember=False).functions["hello"].events
    assert [(r.path, r.api_type, r.payload) for r in read] == [
        ("/rest", "REST", "1.0"),
        ("/old", "HTTP", "1.0"),
        ("/staged", "HTTP", "1.0"),
        ("/new", "HTTP", "2.0"),
    ]
    assert read[2].stage == "beta"


NODE_MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  api:
    handler: lib/api.handler
    code: src/api
    runtime: nodejs22.x
    layers: [layers/shared]
  worker:
    handler: worker.main
    code: src/worker
    runtime: nodejs24.x
    layers: [layers/shared]
"""


def test_node_functions_keep_their_runtime_and_handler_and_pass_cfn_lint(
    write_manifest: Any, project_dir: Path
) -> None:
    for name in ("api", "worker"):
        (project_dir / "src" / name).mkdir(parents=True)
    (project_dir / "src" / "api" / "lib").mkdir()
    (project_dir / "src" / "api" / "lib" / "api.mjs").write_text("export const handler = 1;\n")
    (project_dir / "src" / "worker" / "worker.js").write_text("exports.main = 1;\n")
    (project_dir / "layers" / "shared" / "nodejs" / "node_modules").mkdir(parents=True)
    loaded = manifest.load(write_manifest(NODE_MANIFEST), remember=False)
    exported = export.template(loaded, directory=project_dir)
    api = properties(exported, "ApiFunction")
    assert (api["Runtime"], api["Handler"], api["CodeUri"]) == (
        "nodejs22.x",
        "lib/api.handler",
        "src/api",
    )
    worker = properties(exported, "WorkerFunction")
    assert (worker["Runtime"], worker["Handler"]) == ("nodejs24.x", "worker.main")
    layer = next(r for r in resources(exported).values() if r["Type"].endswith("LayerVersion"))
    assert layer["Properties"]["CompatibleRuntimes"] == ["nodejs22.x", "nodejs24.x"]
    assert exported.notes == ()
    assert lint(export.yaml_text(exported)) == []


def test_nodejs20_is_noted_with_aws_schedule_as_cfn_lint_says(
    write_manifest: Any, project_dir: Path
) -> None:
    """AWS's schedule (cfn-lint's copy of it): nodejs20.x deprecated 2026-04-30, creation
    blocked from 2026-06-01; the export keeps the runtime and says so."""
    (project_dir / "src" / "api" / "lib").mkdir(parents=True)
    (project_dir / "src" / "worker").mkdir(parents=True)
    (project_dir / "layers" / "shared").mkdir(parents=True)
    text = NODE_MANIFEST.replace("nodejs22.x", "nodejs20.x")
    loaded = manifest.load(write_manifest(text), remember=False)
    exported = export.template(loaded, directory=project_dir)
    assert properties(exported, "ApiFunction")["Runtime"] == "nodejs20.x"
    assert exported.notes == (
        "nodejs20.x (api): AWS stops creating functions on it from 2026-06-01 (its "
        "deprecation schedule); deploy with a newer runtime",
    )
    found = lint(export.yaml_text(exported))
    assert found and all("nodejs20.x" in message for _rule, message in found)
