"""A resolved SAM template -> the Manifest: each property and event type, the errors (with
file:line:property and AWS's wording) and the warnings of what cannot run here."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from lambdactl.errors import ManifestError
from lambdactl.manifest import Destination, Manifest
from lambdactl.sam import reader, template
from lambdactl.sources import specs

PROJECTS = Path(__file__).parent.parent / "fixtures" / "sam" / "projects"

HEAD = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
"""


@pytest.fixture(autouse=True)
def code(project_dir: Path) -> Path:
    """`src/app.py` beside the templates the tests write."""
    (project_dir / "src").mkdir(exist_ok=True)
    (project_dir / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
    return project_dir / "src"


def read(project_dir: Path, text: str, **options: object) -> Manifest:
    path = project_dir / "template.yaml"
    path.write_text(HEAD + textwrap.dedent(text))
    return reader.read(template.load(path, path.read_text(), **options))  # type: ignore[arg-type]


def fails(project_dir: Path, text: str) -> str:
    with pytest.raises(ManifestError) as info:
        read(project_dir, text)
    return str(info.value)


def function(properties: str, name: str = "Fn", extra: str = "") -> str:
    """A template with one function `name` (CodeUri src/, python3.11) and `properties`."""
    body = textwrap.indent(textwrap.dedent(properties), " " * 6)
    defaults = "".join(
        f"      {key}: {value}\n"
        for key, value in (
            ("CodeUri", "src/"),
            ("Handler", "app.handler"),
            ("Runtime", "python3.11"),
        )
        if f"{key}:" not in properties
    )
    return (
        "Resources:\n"
        f"  {name}:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        f"{defaults}{body}" + textwrap.indent(textwrap.dedent(extra), "  ")
    )


def copy(project: str, project_dir: Path) -> Path:
    target = project_dir / project
    shutil.copytree(PROJECTS / project, target)
    return target / "template.yaml"


# -- functions --------------------------------------------------------------------------------


def test_the_hello_world_template(project_dir: Path) -> None:
    path = copy("hello", project_dir)
    loaded = reader.read(template.load(path, path.read_text()))
    spec = loaded.functions["HelloWorldFunction"]
    assert spec.code == (path.parent / "hello_world").resolve()
    config = spec.config
    assert (config.runtime, config.handler) == ("python3.11", "app.lambda_handler")
    assert (config.memory, config.timeout) == (128, 3)
    assert config.environment == {"STAGE": "dev", "GREETING": "Hello"}
    assert config.logging.format == "JSON"
    assert config.architectures == ("x86_64",)
    assert spec.auto_publish_alias == "live"
    assert spec.unavailable == ""
    (route,) = spec.events
    assert isinstance(route, specs.HttpSource)
    assert (route.method, route.path, route.payload, route.api) == ("GET", "/hello", "1.0", "")
    assert route.api_type == "REST"
    assert (loaded.region, loaded.account) == ("us-east-1", "000000000000")


def test_parameter_overrides_region_and_account(project_dir: Path) -> None:
    path = copy("hello", project_dir)
    loaded = reader.read(
        template.load(
            path,
            path.read_text(),
            parameter_overrides={"Greeting": "Hej", "Stage": "prod"},
            region="eu-north-1",
            account="123456789012",
        )
    )
    config = loaded.functions["HelloWorldFunction"].config
    assert config.environment == {"STAGE": "prod", "GREETING": "Hej"}
    assert (loaded.region, loaded.account) == ("eu-north-1", "123456789012")


def test_the_properties_a_function_maps(project_dir: Path) -> None:
    loaded = read(
        project_dir,
        function(
            """\
            FunctionName: named-fn
            MemorySize: "512"
            Timeout: 30
            Description: Does things
            ReservedConcurrentExecutions: 4
            Architectures: [arm64]
            Environment:
              Variables: {COUNT: 3, FLAG: true, NAME: x, TABLE:}
            LoggingConfig: {LogFormat: JSON, ApplicationLogLevel: DEBUG, SystemLogLevel: WARN}
            """
        ),
    )
    spec = loaded.functions["named-fn"]
    assert loaded.logical_ids == {"Fn": "named-fn"}
    config = spec.config
    assert (config.memory, config.timeout, config.description) == (512, 30, "Does things")
    # a variable left empty is a placeholder for --env-vars, as sam local takes it
    assert config.environment == {"COUNT": "3", "FLAG": "true", "NAME": "x", "TABLE": ""}
    assert config.architectures == ("arm64",)
    assert (config.logging.application_level, config.logging.system_level) == ("DEBUG", "WARN")
    assert spec.reserved_concurrency == 4
    assert loaded.warnings == ()


def test_code_uri_defaults_to_the_template_directory(project_dir: Path) -> None:
    loaded = read(
        project_dir,
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Handler: src/app.handler\n      Runtime: python3.11\n",
    )
    assert loaded.functions["Fn"].code == project_dir.resolve()


def test_inline_code_is_written_into_the_state_directory(project_dir: Path) -> None:
    loaded = read(
        project_dir,
        """\
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: index.handler
              Runtime: python3.11
              InlineCode: |
                def handler(event, context):
                    return 1
        """,
    )
    code = loaded.functions["Fn"].code
    assert code == (project_dir / ".lambda" / "sam" / "inline" / "Fn").resolve()
    assert (code / "index.py").read_text().startswith("def handler(event, context):")


def test_a_plain_cloudformation_function(project_dir: Path) -> None:
    loaded = read(
        project_dir,
        """\
        Resources:
          Plain:
            Type: AWS::Lambda::Function
            Properties:
              Handler: index.handler
              Runtime: python3.12
              MemorySize: 256
              Code:
                ZipFile: "def handler(e, c):\\n    return e\\n"
          FromBucket:
            Type: AWS::Lambda::Function
            Properties:
              Handler: index.handler
              Runtime: python3.12
              Code: {S3Bucket: artifacts, S3Key: fn.zip}
          NoCode:
            Type: AWS::Lambda::Function
            Properties:
              Handler: index.handler
              Runtime: python3.12
        """,
    )
    # no Code: the template's directory, as sam local takes it
    assert loaded.functions["NoCode"].code == project_dir.resolve()
    assert loaded.functions["NoCode"].unavailable == ""
    plain = loaded.functions["Plain"]
    assert plain.config.memory == 256
    assert (plain.code / "index.py").read_text() == "def handler(e, c):\n    return e\n"
    assert "in S3" in loaded.functions["FromBucket"].unavailable


def test_a_local_layer(project_dir: Path) -> None:
    (project_dir / "deps" / "python").mkdir(parents=True)
    loaded = read(
        project_dir,
        function(
            "Layers: [!Ref Deps]\n",
            extra="""\
              Deps:
                Type: AWS::Serverless::LayerVersion
                Properties:
                  LayerName: deps
                  ContentUri: deps/
            """,
        ),
    )
    assert loaded.functions["Fn"].layers == ((project_dir / "deps").resolve(),)


@pytest.mark.parametrize(
    ("properties", "reason"),
    [
        ("CodeUri: s3://bucket/code.zip\n", "its code is in S3 (s3://bucket/code.zip)"),
        ("CodeUri: {Bucket: b, Key: k}\n", "its code is in S3"),
        ("CodeUri: missing/\n", "its code directory 'missing/' does not exist"),
        ("Runtime: nodejs16.x\n", "The runtime parameter of nodejs16.x is no longer supported"),
        ("Runtime: java21\n", "runtime java21 is not supported by lambdactl yet"),
        (
            "Layers: [arn:aws:lambda:us-east-1:017000801446:layer:Powertools:68]\n",
            "its layer arn:aws:lambda:us-east-1:017000801446:layer:Powertools:68 is not a layer "
            "of this template",
        ),
        (
            "Layers: [!Ref Remote]\n",
            "its layer Remote is in S3 (s3://artifacts/layer.zip), not in this project",
        ),
        (
            "Environment: {Variables: {VPC: !ImportValue SharedVpc}}\n",
            "its variable VPC is !ImportValue SharedVpc",
        ),
        ("Handler: !ImportValue HandlerName\n", "its Handler is !ImportValue HandlerName"),
        (
            "PackageType: Image\nImageUri: 1.dkr.ecr.us-east-1.amazonaws.com/a:1\n",
            "a container image (PackageType Image) is not run here",
        ),
    ],
)
def test_what_cannot_run_here_is_a_warning_and_the_function_s_reason(
    project_dir: Path, properties: str, reason: str
) -> None:
    text = function(properties) + (
        "  Remote:\n    Type: AWS::Serverless::LayerVersion\n"
        "    Properties: {ContentUri: s3://artifacts/layer.zip}\n"
    )
    loaded = read(
        project_dir,
        text + "  Other:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: src/, Handler: app.handler, Runtime: python3.11}\n",
    )
    spec = loaded.functions["Fn"]
    assert reason in spec.unavailable
    assert loaded.functions["Other"].unavailable == ""
    warning = loaded.warnings[-1]  # after the engine's own (an !ImportValue's)
    assert warning.startswith("template.yaml:")
    assert "Resources.Fn.Properties." in warning
    assert f"Fn cannot run here: {spec.unavailable}" in warning


def test_a_deprecated_python_runtime_runs_with_a_warning(project_dir: Path) -> None:
    loaded = read(project_dir, function("").replace("python3.11", "python3.8"))
    spec = loaded.functions["Fn"]
    assert (spec.config.runtime, spec.unavailable) == ("python3.8", "")
    (warning,) = loaded.warnings
    assert warning == (
        "template.yaml:9:Resources.Fn.Properties.Runtime: runtime python3.8 is deprecated: "
        "Fn runs on the nearest Python found"
    )


@pytest.mark.parametrize(
    ("properties", "line", "key", "message"),
    [
        (
            "MemorySize: 64\n",
            10,
            "MemorySize",
            "1 validation error detected: Value '64' at 'memorySize' failed to satisfy "
            "constraint: Member must have value greater than or equal to 128",
        ),
        (
            "Timeout: 901\n",
            10,
            "Timeout",
            "1 validation error detected: Value '901' at 'timeout' failed to satisfy "
            "constraint: Member must have value less than or equal to 900",
        ),
        (
            "ReservedConcurrentExecutions: -1\n",
            10,
            "ReservedConcurrentExecutions",
            "1 validation error detected: Value '-1' at 'reservedConcurrentExecutions' failed "
            "to satisfy constraint: Member must have value greater than or equal to 0",
        ),
        (
            "Environment:\n  Variables:\n    AWS_REGION: x\n",
            11,
            "Environment.Variables",
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not "
            "supported for modification. Reserved keys used in this request: AWS_REGION",
        ),
        (
            "LoggingConfig: {LogFormat: XML}\n",
            10,
            "LoggingConfig.LogFormat",
            "1 validation error detected: Value 'XML' at 'logFormat' failed to satisfy "
            "constraint: Member must satisfy enum value set: [Text, JSON]",
        ),
        (
            "FunctionUrlConfig: {AuthType: OPEN}\n",
            10,
            "FunctionUrlConfig.AuthType",
            "1 validation error detected: Value 'OPEN' at 'authType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [NONE, AWS_IAM]",
        ),
        (
            "EventInvokeConfig: {MaximumRetryAttempts: 3}\n",
            10,
            "EventInvokeConfig.MaximumRetryAttempts",
            "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to "
            "satisfy constraint: Member must have value less than or equal to 2",
        ),
    ],
)
def test_errors_name_the_file_the_line_and_the_property(
    project_dir: Path, properties: str, line: int, key: str, message: str
) -> None:
    assert fails(project_dir, function(properties)) == (
        f"template.yaml:{line}: Resources.Fn.Properties.{key}: {message}"
    )


def test_a_bad_handler_and_a_bad_runtime_are_errors(project_dir: Path) -> None:
    assert fails(project_dir, function("").replace("app.handler", "app")) == (
        "template.yaml:8: Resources.Fn.Properties.Handler: malformed handler 'app': expected "
        "MODULE.FUNCTION, where MODULE may be a dotted or slashed path (e.g. app.handler or "
        "src/app.handler)"
    )
    assert "at 'runtime' failed to satisfy constraint" in fails(
        project_dir, function("").replace("python3.11", "python9")
    )


def test_destinations_and_the_dead_letter_queue(project_dir: Path) -> None:
    loaded = read(
        project_dir,
        function(
            """\
            EventInvokeConfig:
              MaximumRetryAttempts: 1
              MaximumEventAgeInSeconds: 120
              DestinationConfig:
                OnSuccess: {Type: Lambda, Destination: !GetAtt Other.Arn}
                OnFailure: {Type: SQS}
            DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt Dead.Arn}
            """,
            extra="""\
              Dead:
                Type: AWS::SQS::Queue
              Other:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: src/
                  Handler: app.handler
                  Runtime: python3.11
                  EventInvokeConfig:
                    DestinationConfig:
                      OnSuccess: {Type: SNS, Destination: !Ref Topic}
                      OnFailure: {Type: EventBridge, Destination: !GetAtt Bus.Arn}
              Bus:
                Type: AWS::Events::EventBus
                Properties: {Name: bus}
              Topic:
                Type: AWS::SNS::Topic
            """,
        ),
    )
    spec = loaded.functions["Fn"]
    assert spec.asynchronous.maximum_retry_attempts == 1
    assert spec.asynchronous.maximum_event_age == 120
    assert spec.asynchronous.on_success == Destination("function", "Other")
    assert spec.asynchronous.on_failure == Destination("queue", "FnEventInvokeConfigOnFailureQueue")
    assert "FnEventInvokeConfigOnFailureQueue" in loaded.queues
    assert spec.dead_letter == Destination("queue", "Dead")
    other = loaded.functions["Other"].asynchronous
    assert other.on_success == Destination("topic", "Topic")  # published to the local topic
    assert other.on_failure is None
    (warning,) = loaded.warnings
    assert warning.endswith(
        "Resources.Other.Properties.EventInvokeConfig.DestinationConfig.OnFailure.Destination: "
        "a EventBridge destination is not delivered locally"
    )


def test_a_function_is_not_its_own_destination(project_dir: Path) -> None:
    message = fails(
        project_dir,
        function(
            "EventInvokeConfig:\n  DestinationConfig:\n"
            "    OnFailure: {Type: Lambda, Destination: !GetAtt Fn.Arn}\n"
        ),
    )
    assert message.endswith(
        "Resources.Fn.Properties.EventInvokeConfig.DestinationConfig.OnFailure.Destination: "
        "You can't specify the function as a destination for itself."
    )


def test_a_function_url_follows_the_alias(project_dir: Path) -> None:
    loaded = read(
        project_dir,
        function(
            """\
            AutoPublishAlias: live
            FunctionUrlConfig:
              AuthType: NONE
              InvokeMode: RESPONSE_STREAM
              Cors:
                AllowOrigins: ["https://example.com"]
                AllowMethods: [GET, POST]
                MaxAge: 60
            """
        ),
    )
    url = loaded.functions["Fn"].url
    assert url is not None
    assert (url.auth, url.invoke_mode, url.qualifier) == ("NONE", "RESPONSE_STREAM", "live")
    assert url.cors is not None
    assert url.cors.allow_origins == ("https://example.com",)
    assert (url.cors.allow_methods, url.cors.max_age) == (("GET", "POST"), 60)


# -- queues and streams -------------------------------------------------------------------------


def test_queues_and_streams(project_dir: Path) -> None:
    loaded = read(
        project_dir,
        function(
            "",
            extra="""\
              Orders:
                Type: AWS::SQS::Queue
                Properties:
                  VisibilityTimeout: 60
                  DelaySeconds: 5
                  MessageRetentionPeriod: 3600
                  RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: 4}
              Dead:
                Type: AWS::SQS::Queue
                Properties: {QueueName: dead-letters}
              Ordered:
                Type: AWS::SQS::Queue
                Properties: {QueueName: ordered.fifo, FifoQueue: true}
              Clicks:
                Type: AWS::Kinesis::Stream
                Properties: {ShardCount: 2, RetentionPeriodHours: 48}
            """,
        ),
    )
    assert loaded.queues["Orders"] == {
        "visibility_timeout": 60,
        "delay": 5,
        "retention": 3600,
        "dead_letter": "dead-letters",
        "max_receive_count": 4,
    }
    assert loaded.queues["ordered.fifo"] == {"fifo": True}
    assert loaded.streams == {"Clicks": specs.StreamConfig(shards=2, retention_hours=48)}


def test_queue_errors_are_sqs_s(project_dir: Path) -> None:
    message = fails(
        project_dir,
        function(
            "",
            extra="  Q:\n    Type: AWS::SQS::Queue\n    Properties: {VisibilityTimeout: 50000}\n",
        ),
    )
    assert message.startswith("template.yaml:12: Resources.Q.Properties.VisibilityTimeout: ")
    assert "Member must have value less than or equal to 43200" in message


# -- events --------------------------------------------------------------------------------------


def events(project_dir: Path, text: str, extra: str = "") -> tuple[object, ...]:
    loaded = read(
        project_dir,
        function("Events:\n" + textwrap.indent(textwrap.dedent(text), "  "), extra=extra),
    )
    return loaded.functions["Fn"].events


QUEUE = """\
  Orders:
    Type: AWS::SQS::Queue
"""


def test_an_sqs_event(project_dir: Path) -> None:
    (source,) = events(
        project_dir,
        """\
        Orders:
          Type: SQS
          Properties:
            Queue: !GetAtt Orders.Arn
            BatchSize: 20
            MaximumBatchingWindowInSeconds: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            FilterCriteria:
              Filters:
                - Pattern: '{"body": {"type": ["order"]}}'
            ScalingConfig: {MaximumConcurrency: 5}
            Enabled: false
        """,
        QUEUE,
    )
    assert isinstance(source, specs.QueueSource)
    assert (source.queue, source.function, source.enabled) == ("Orders", "Fn", False)
    settings = source.settings
    assert (settings.batch_size, settings.batching_window) == (20, 2)
    assert settings.report_batch_item_failures
    assert settings.maximum_concurrency == 5
    assert settings.filters == ('{"body":{"type":["order"]}}',)


def test_an_sqs_event_s_errors_are_aws_s_and_located(project_dir: Path) -> None:
    text = function(
        "Events:\n  Orders:\n    Type: SQS\n    Properties:\n"
        "      Queue: !GetAtt Orders.Arn\n      BatchSize: 20\n",
        extra=QUEUE,
    )
    assert fails(project_dir, text) == (
        "template.yaml:15: Resources.Fn.Properties.Events.Orders.Properties.BatchSize: "
        + specs.BATCH_WINDOW_MESSAGE
    )


def test_a_kinesis_event(project_dir: Path) -> None:
    (source,) = events(
        project_dir,
        """\
        Clicks:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Clicks.Arn
            StartingPosition: TRIM_HORIZON
            BatchSize: 50
            ParallelizationFactor: 2
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: 3
            DestinationConfig:
              OnFailure: {Destination: !GetAtt Orders.Arn}
        """,
        QUEUE + "  Clicks:\n    Type: AWS::Kinesis::Stream\n    Properties: {ShardCount: 1}\n",
    )
    assert isinstance(source, specs.StreamSource)
    assert source.stream == "Clicks"
    settings = source.settings
    assert (settings.starting_position, settings.batch_size) == ("TRIM_HORIZON", 50)
    assert (settings.parallelization_factor, settings.bisect_on_error) == (2, True)
    assert (settings.maximum_retry_attempts, settings.on_failure) == (3, "Orders")


def test_schedules(project_dir: Path) -> None:
    first, second = events(
        project_dir,
        """\
        Nightly:
          Type: Schedule
          Properties:
            Schedule: cron(0 3 * * ? *)
            Input: '{"job": "nightly"}'
            Enabled: false
        Often:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(5 minutes)
            State: ENABLED
        """,
    )
    assert isinstance(first, specs.ScheduleSource)
    assert (first.expression, first.input, first.enabled) == (
        "cron(0 3 * * ? *)",
        '{"job":"nightly"}',
        False,
    )
    assert isinstance(second, specs.ScheduleSource)
    assert (second.expression, second.enabled) == ("rate(5 minutes)", True)


def test_an_s3_event_watches_a_directory_named_after_the_bucket(project_dir: Path) -> None:
    (source,) = events(
        project_dir,
        """\
        Uploads:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
        """,
        "  Uploads:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: my-uploads}\n",
    )
    assert isinstance(source, specs.FilesSource)
    assert source.path == (project_dir / "s3" / "my-uploads").resolve()
    assert source.events == ("created",)


def test_an_sns_event(project_dir: Path) -> None:
    (source,) = events(
        project_dir,
        """\
        Alerts:
          Type: SNS
          Properties:
            Topic: !Ref Alerts
            FilterPolicy: {severity: [high]}
        """,
        "  Alerts:\n    Type: AWS::SNS::Topic\n",
    )
    assert isinstance(source, specs.TopicSource)
    assert (source.topic, source.filter_policy) == ("Alerts", '{"severity":["high"]}')


def test_api_and_http_api_events_are_routes(project_dir: Path) -> None:
    rest, http, proxy = events(
        project_dir,
        """\
        Get:
          Type: Api
          Properties: {Path: "/users/{id}", Method: get, RestApiId: !Ref Shop}
        Post:
          Type: HttpApi
          Properties: {Path: /users, Method: POST, PayloadFormatVersion: "1.0"}
        All:
          Type: HttpApi
        """,
        """\
          Shop:
            Type: AWS::Serverless::Api
            Properties:
              StageName: v1
              BinaryMediaTypes: ["image~1png"]
        """,
    )
    assert isinstance(rest, specs.HttpSource)
    assert (rest.method, rest.path, rest.payload) == ("GET", "/users/{id}", "1.0")
    assert (rest.api, rest.stage, rest.binary_media_types) == ("Shop", "v1", ("image/png",))
    assert isinstance(http, specs.HttpSource)
    assert (http.method, http.path, http.payload, http.api) == ("POST", "/users", "1.0", "")
    assert isinstance(proxy, specs.HttpSource)
    assert (proxy.method, proxy.path, proxy.payload) == ("ANY", "/{proxy+}", "2.0")
    # the kind of API is the event's type, whatever the payload format
    assert (rest.api_type, http.api_type, proxy.api_type) == ("REST", "HTTP", "HTTP")
    assert (rest.rest, http.rest, proxy.rest) == (True, False, False)


def test_an_http_api_event_with_payload_1_0_is_an_http_apis_route(project_dir: Path) -> None:
    legacy, own = events(
        project_dir,
        """\
        Legacy:
          Type: HttpApi
          Properties: {Path: /legacy, Method: GET, PayloadFormatVersion: "1.0"}
        Own:
          Type: HttpApi
          Properties: {Path: /own, Method: GET, PayloadFormatVersion: "1.0", ApiId: !Ref Web}
        """,
        """\
          Web:
            Type: AWS::Serverless::HttpApi
            Properties: {StageName: beta}
        """,
    )
    assert isinstance(legacy, specs.HttpSource) and isinstance(own, specs.HttpSource)
    assert (legacy.payload, legacy.api_type, legacy.api_kind) == ("1.0", "HTTP", "HTTP")
    assert (own.payload, own.api_type, own.api, own.stage) == ("1.0", "HTTP", "Web", "beta")
    assert legacy.stage == "" and legacy.binary_media_types == ()


def test_events_lambdactl_cannot_run_are_warnings(project_dir: Path) -> None:
    path = project_dir / "template.yaml"
    text = function(
        "Events:\n"
        "  SignUp:\n    Type: Cognito\n    Properties: {UserPool: !Ref Pool, Trigger: PreSignUp}\n"
        "  Table:\n    Type: DynamoDB\n"
        "    Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: LATEST}\n",
        extra="  Pool:\n    Type: AWS::Cognito::UserPool\n"
        "  Table:\n    Type: AWS::DynamoDB::Table\n",
    )
    path.write_text(HEAD + text)
    loaded = reader.read(template.load(path, path.read_text()))
    assert loaded.functions["Fn"].events == ()
    assert loaded.functions["Fn"].unavailable == ""
    cognito, dynamodb = loaded.warnings
    assert cognito == (
        "template.yaml:11:Resources.Fn.Properties.Events.SignUp: event type Cognito is not "
        "run by lambdactl; the function works without it"
    )
    assert dynamodb.endswith(
        "Resources.Fn.Properties.Events.Table.Properties.Stream: a DynamoDB stream (no local "
        "DynamoDB): this event is not run locally"
    )


def test_no_function_is_an_error(project_dir: Path) -> None:
    assert fails(project_dir, "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n") == (
        "template.yaml: the template declares no AWS::Serverless::Function or AWS::Lambda::Function"
    )


def test_a_dead_letter_queue_of_another_stack_is_a_warning(project_dir: Path) -> None:
    loaded = read(
        project_dir,
        function(
            "",
            extra="""\
              Orders:
                Type: AWS::SQS::Queue
                Properties:
                  RedrivePolicy:
                    deadLetterTargetArn: arn:aws:sqs:us-east-1:111122223333:shared-dlq
                    maxReceiveCount: 5
              Imported:
                Type: AWS::SQS::Queue
                Properties:
                  RedrivePolicy: {deadLetterTargetArn: !ImportValue SharedDlqArn}
            """,
        ),
    )
    assert loaded.queues == {"Orders": {}, "Imported": {}}
    assert any(
        w.endswith("'shared-dlq' is not a queue of this template: no dead-letter queue")
        for w in loaded.warnings
    )
    assert any(
        w.endswith("!ImportValue SharedDlqArn is unknown here: no dead-letter queue")
        for w in loaded.warnings
    )


def test_a_bucket_without_a_name_is_its_logical_id_in_lower_case(project_dir: Path) -> None:
    (source,) = events(
        project_dir,
        """\
        Uploads:
          Type: S3
          Properties:
            Bucket: !Ref SrcBucket
            Events: s3:ObjectRemoved:*
        """,
        "  SrcBucket:\n    Type: AWS::S3::Bucket\n",
    )
    assert isinstance(source, specs.FilesSource)
    assert source.path == (project_dir / "s3" / "srcbucket").resolve()
    assert source.events == ("removed",)


def test_a_templates_api_id_is_the_one_its_routes_events_carry(project_dir: Path) -> None:
    from lambdactl import routes

    text = function(
        "Environment:\n  Variables:\n"
        "    SHOP: !Ref Shop\n    IMPLICIT_REST: !Ref ServerlessRestApi\n"
        "    IMPLICIT_HTTP: !Ref ServerlessHttpApi\n"
        "Events:\n"
        "  Named: {Type: Api, Properties: {Path: /a, Method: get, RestApiId: !Ref Shop}}\n"
        "  Rest: {Type: Api, Properties: {Path: /b, Method: get}}\n"
        "  Http: {Type: HttpApi, Properties: {Path: /c, Method: get}}\n",
        extra="  Shop:\n    Type: AWS::Serverless::Api\n    Properties: {StageName: v1}\n",
    )
    loaded = read(project_dir, text)
    spec = loaded.functions["Fn"]
    named, rest, http = spec.events
    pairs = (("SHOP", named), ("IMPLICIT_REST", rest), ("IMPLICIT_HTTP", http))
    ids = {
        key: routes.api_id(route, account=loaded.account, region=loaded.region)  # type: ignore[arg-type]
        for key, route in pairs
    }
    assert spec.config.environment == ids
    assert len(set(ids.values())) == 3
