"""The template engine: YAML/JSON in, resolved resources out (lambdactl/sam/template.py)."""

from __future__ import annotations

import base64
import copy
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from lambdactl.errors import ManifestError, UsageError
from lambdactl.sam import resources, template
from lambdactl.sam.template import Template, Unresolved

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sam"

HEADER = "Transform: AWS::Serverless-2016-10-31\n"


def load(text: str, **options: Any) -> Template:
    """The template `text` (dedented), written as template.yaml in the project directory."""
    path = Path("template.yaml")
    path.write_text(textwrap.dedent(text))
    return template.load(path, path.read_text(), **options)


def fails(text: str, **options: Any) -> str:
    with pytest.raises(ManifestError) as caught:
        load(text, **options)
    return str(caught.value)


def function(body: str, *, before: str = "", name: str = "Fn") -> str:
    """A template with `before` (sections), a function whose Properties hold `body`, and a
    function `Q` to point at."""
    props = textwrap.indent(textwrap.dedent(body), " " * 6)
    return (
        HEADER
        + textwrap.dedent(before)
        + f"Resources:\n  {name}:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        + "      Handler: app.handler\n"
        + props
        + "  Q:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: q.h\n"
    )


def props(body: str, *, before: str = "", **options: Any) -> dict[str, Any]:
    return dict(load(function(body, before=before), **options).resources["Fn"].properties)


def env(body: str, *, before: str = "", **options: Any) -> dict[str, Any]:
    """The resolved `Environment.Variables` written as `body`."""
    text = "Environment:\n  Variables:\n" + textwrap.indent(textwrap.dedent(body), "    ")
    return props(text, before=before, **options)["Environment"]["Variables"]


# --------------------------------------------------------------------------------------------
# Real shapes: the fixtures


def test_sam_init_hello_world() -> None:
    path = FIXTURES / "hello-world" / "template.yaml"
    loaded = template.load(path, path.read_text())
    assert list(loaded.resources) == [
        "HelloWorldFunction",
        "ApplicationResourceGroup",
        "ApplicationInsightsMonitoring",
    ]
    fn = loaded.resources["HelloWorldFunction"]
    assert fn.type == "AWS::Serverless::Function"
    assert fn.properties == {
        "Timeout": 3,
        "LoggingConfig": {"LogFormat": "JSON"},
        "CodeUri": "hello_world/",
        "Handler": "app.lambda_handler",
        "Runtime": "python3.13",
        "Architectures": ["x86_64"],
        "Events": {
            "HelloWorld": {"Type": "Api", "Properties": {"Path": "/hello", "Method": "get"}}
        },
    }
    group = loaded.resources["ApplicationResourceGroup"].properties
    assert group["Name"] == "ApplicationInsights-SAM-local"
    assert loaded.resources["ApplicationInsightsMonitoring"].properties["ResourceGroupName"] == (
        "ApplicationResourceGroup"
    )
    api = loaded.outputs["HelloWorldApi"]
    assert api.startswith("https://") and api.endswith(
        ".execute-api.us-east-1.amazonaws.com/Prod/hello/"
    )
    assert loaded.outputs["HelloWorldFunction"] == (
        "arn:aws:lambda:us-east-1:000000000000:function:HelloWorldFunction"
    )
    assert loaded.outputs["HelloWorldFunctionIamRole"] == (
        "arn:aws:iam::000000000000:role/HelloWorldFunctionRole"
    )
    assert loaded.warnings == ()
    assert template.is_template(path.read_text())


def test_orders_app_defaults() -> None:
    path = FIXTURES / "orders" / "template.yaml"
    loaded = template.load(path, path.read_text(), region="eu-west-1", account="123456789012")
    assert "ProdOnlyAuditFunction" not in loaded.resources  # Condition IsProd
    assert "AlarmTopic" not in loaded.resources
    assert loaded.conditions == {
        "IsProd": False,
        "IsNotProd": True,
        "HasDebugLogging": False,
        "WantsTracing": False,
        "CreateAlarmTopic": False,
    }
    api = loaded.resources["ApiFunction"].properties
    assert api["FunctionName"] == "orders-api-dev"
    assert api["MemorySize"] == 256  # Globals: FindInMap on the stage
    assert api["Tracing"] == "PassThrough"
    assert api["Layers"] == ["arn:aws:lambda:eu-west-1:123456789012:layer:orders-shared-dev:1"]
    assert api["Environment"]["Variables"] == {
        "STAGE": "dev",
        "LOG_LEVEL": "INFO",
        "ORDERS_TABLE": "local-orders-dev",
        "POWERTOOLS_SERVICE_NAME": "orders",
        "QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dev",
        "API_KEY": "local-key",
        "TABLE_ARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/local-orders-dev",
    }
    routes = {
        (e["Properties"]["Method"], e["Properties"]["Path"]): (
            e["Type"],
            e["Properties"].get("ApiId"),
        )
        for e in api["Events"].values()
    }
    http_api = resources.api_id(  # type: ignore[attr-defined]
        "OrdersHttpApi", region="eu-west-1", account="123456789012"
    )
    assert routes == {
        ("GET", "/orders"): ("HttpApi", http_api),
        ("GET", "/orders/{id}"): ("HttpApi", http_api),
        ("POST", "/orders"): ("HttpApi", http_api),
        ("DELETE", "/orders/{id}"): ("HttpApi", http_api),
        ("get", "/health"): ("Api", None),
    }
    consumer = loaded.resources["ConsumerFunction"].properties
    assert "ReservedConcurrentExecutions" not in consumer  # !If [IsProd, 50, AWS::NoValue]
    assert consumer["Timeout"] == 60
    assert consumer["Events"]["Orders"]["Properties"] == {
        "Queue": "arn:aws:sqs:eu-west-1:123456789012:orders-dev",
        "BatchSize": 10,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    assert consumer["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"] == (
        "arn:aws:sqs:eu-west-1:123456789012:OrdersDeadLetterQueue"
    )
    subnets = consumer["Environment"]["Variables"]["SUBNETS"]
    assert isinstance(subnets, Unresolved)
    assert subnets.reason == "!Ref SharedVpcSubnets (SSM parameter /network/private-subnets)"
    where = "183:Resources.ConsumerFunction.Properties.Environment.Variables.SUBNETS"
    assert subnets.where == f"{path}:{where}"  # outside the working directory: the whole path
    assert loaded.warnings == (f"{path}:{where}: {subnets.reason} is not known locally",)
    report = loaded.resources["ReportFunction"].properties
    assert report["Layers"] == [  # Globals' list first, then the function's own
        "arn:aws:lambda:eu-west-1:123456789012:layer:orders-shared-dev:1",
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:7",
    ]
    assert report["Events"]["Nightly"]["Properties"] == {
        "Schedule": "rate(1 hour)",
        "Enabled": True,
        "Input": '{"report":"daily","stage":"dev"}',
    }
    assert report["Environment"]["Variables"]["ALARM_TOPIC"] == "none"
    http = loaded.resources["OrdersHttpApi"].properties
    assert http["CorsConfiguration"] == {
        "AllowOrigins": ["https://example.com", "https://admin.example.com"],
        "AllowMethods": ["GET", "POST", "DELETE"],
        "AllowHeaders": ["content-type", "x-api-key"],
    }
    assert loaded.resources["OrdersTable"].properties["SSESpecification"] == {"SSEEnabled": True}
    assert loaded.no_echo == {"ApiKey"}
    assert loaded.parameters["ConsumerBatchSize"] == "10"
    assert loaded.resources["SharedLayer"].metadata == {"BuildMethod": "python3.12"}
    assert loaded.outputs["ApiFunctionAlias"] == (
        "arn:aws:lambda:eu-west-1:123456789012:function:orders-api-dev:live"
    )
    assert "AlarmTopic" not in loaded.outputs


def test_orders_app_in_prod() -> None:
    path = FIXTURES / "orders" / "template.yaml"
    overrides = template.parse_overrides("Stage=prod LogLevel=DEBUG")
    loaded = template.load(path, path.read_text(), parameter_overrides=overrides)
    assert "ProdOnlyAuditFunction" in loaded.resources and "AlarmTopic" in loaded.resources
    consumer = loaded.resources["ConsumerFunction"].properties
    assert consumer["ReservedConcurrentExecutions"] == 50
    assert consumer["MemorySize"] == 1024
    assert consumer["Tracing"] == "Active"
    report = loaded.resources["ReportFunction"].properties
    assert report["Environment"]["Variables"]["ALARM_TOPIC"] == (
        "arn:aws:sns:us-east-1:000000000000:orders-alarms-prod"
    )
    assert report["Environment"]["Variables"]["RETENTION_DAYS"] == 90
    assert report["Events"]["Nightly"]["Properties"]["Schedule"] == "cron(0 6 * * ? *)"
    assert report["Events"]["Nightly"]["Properties"]["Enabled"] is False
    assert loaded.outputs["AlarmTopic"] == "arn:aws:sns:us-east-1:000000000000:orders-alarms-prod"


def test_fixtures_pass_cfn_lint() -> None:
    """The fixtures are templates AWS accepts (cfn-lint: no errors)."""
    from cfnlint.api import lint

    for name in ("hello-world", "orders"):
        text = (FIXTURES / name / "template.yaml").read_text()
        errors = [m for m in lint(text, regions=["us-east-1"]) if m.rule.id.startswith("E")]
        assert errors == [], name


# --------------------------------------------------------------------------------------------
# YAML and JSON


def test_short_and_long_forms_are_the_same() -> None:
    short = env(
        """\
        A: !Ref P
        B: !GetAtt Q.Arn
        C: !GetAtt [Q, Arn]
        D: !Sub 'x-${P}'
        E: !Sub ['x-${V}', {V: !Ref P}]
        F: !Join ['-', [a, !Ref P]]
        """,
        before="Parameters:\n  P: {Type: String, Default: v}\n",
    )
    long = env(
        """\
        A: {Ref: P}
        B: {"Fn::GetAtt": [Q, Arn]}
        C: {"Fn::GetAtt": "Q.Arn"}
        D: {"Fn::Sub": "x-${P}"}
        E: {"Fn::Sub": ["x-${V}", {V: {Ref: P}}]}
        F:
          Fn::Join:
            - "-"
            - [a, {Ref: P}]
        """,
        before="Parameters:\n  P: {Type: String, Default: v}\n",
    )
    assert (
        short
        == long
        == {
            "A": "v",
            "B": "arn:aws:lambda:us-east-1:000000000000:function:Q",
            "C": "arn:aws:lambda:us-east-1:000000000000:function:Q",
            "D": "x-v",
            "E": "x-v",
            "F": "a-v",
        }
    )


def test_json_template() -> None:
    loaded = load(
        json.dumps(
            {
                "AWSTemplateFormatVersion": "2010-09-09",
                "Parameters": {"Size": {"Type": "Number", "Default": 256}},
                "Resources": {
                    "Fn": {
                        "Type": "AWS::Lambda::Function",
                        "Properties": {
                            "FunctionName": {"Fn::Sub": "fn-${AWS::Region}"},
                            "MemorySize": {"Ref": "Size"},
                            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                            "Description": "a/b \u00e9 \U0001f600",
                        },
                    },
                    "Role": {"Type": "AWS::IAM::Role"},
                },
            },
            indent="\t",  # JSON may be indented with tabs, YAML may not
        ).replace("/", "\\/")  # and JSON may escape a slash
    )
    fn = loaded.resources["Fn"]
    assert fn.properties == {
        "FunctionName": "fn-us-east-1",
        "MemorySize": 256,
        "Role": "arn:aws:iam::000000000000:role/Role",
        "Description": "a/b \u00e9 \U0001f600",
    }
    lines = Path("template.yaml").read_text().splitlines()
    assert fn.line == lines.index('\t\t"Fn": {') + 1
    memory = next(i for i, text in enumerate(lines) if '"MemorySize"' in text) + 1
    assert fn.where("MemorySize") == f"template.yaml:{memory}:Resources.Fn.Properties.MemorySize"


def test_a_byte_order_mark_is_ignored() -> None:
    text = json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}, indent="\t")
    assert list(template.load(Path("t.json"), "\ufeff" + text).resources) == ["Q"]
    assert list(load("\ufeffResources:\n  Q: {Type: AWS::SQS::Queue}\n").resources) == ["Q"]


def test_invalid_json_is_jsons_error() -> None:
    assert fails('{\n  "Resources": {\n    "Fn": {"Type": "X",}\n  }\n}\n') == (
        "template.yaml:3: invalid JSON: Expecting property name enclosed in double quotes"
    )


def test_timestamps_stay_text_and_yaml_merge_keys_work() -> None:
    found = props(
        """\
        Policies:
          - Version: 2012-10-17
            Statement: []
        Environment:
          Variables:
            <<: {A: "1", B: "2"}
            B: "3"
        """
    )
    assert found["Policies"] == [{"Version": "2012-10-17", "Statement": []}]
    assert found["Environment"]["Variables"] == {"A": "1", "B": "3"}


def test_where_gives_the_line_of_each_value() -> None:
    loaded = load(
        function(
            """\
            Layers:
              - arn:aws:lambda:us-east-1:123456789012:layer:a:1
              - !ImportValue SharedLayer
            Environment:
              Variables:
                VPC: !ImportValue SharedVpcId
            """
        )
    )
    fn = loaded.resources["Fn"]
    assert fn.line == 3
    assert fn.where() == "template.yaml:3:Resources.Fn.Properties"
    assert fn.where("Layers", 1) == "template.yaml:9:Resources.Fn.Properties.Layers[1]"
    assert fn.where("Environment", "Variables", "VPC") == (
        "template.yaml:12:Resources.Fn.Properties.Environment.Variables.VPC"
    )
    assert fn.where("Environment", "Variables", "NOPE") == (
        "template.yaml:11:Resources.Fn.Properties.Environment.Variables.NOPE"
    )
    assert fn.properties["Layers"][1] == Unresolved(
        "!ImportValue SharedLayer", "template.yaml:9:Resources.Fn.Properties.Layers[1]"
    )
    assert fn.properties["Environment"]["Variables"]["VPC"] == Unresolved(
        "!ImportValue SharedVpcId",
        "template.yaml:12:Resources.Fn.Properties.Environment.Variables.VPC",
    )
    assert loaded.warnings == (
        "template.yaml:9:Resources.Fn.Properties.Layers[1]: "
        "!ImportValue SharedLayer is not known locally",
        "template.yaml:12:Resources.Fn.Properties.Environment.Variables.VPC: "
        "!ImportValue SharedVpcId is not known locally",
    )


# --------------------------------------------------------------------------------------------
# Intrinsics


def test_pseudo_parameters() -> None:
    found = env(
        """\
        REGION: !Ref AWS::Region
        ACCOUNT: !Ref AWS::AccountId
        PARTITION: !Ref AWS::Partition
        STACK: !Ref AWS::StackName
        STACK_ID: !Ref AWS::StackId
        SUFFIX: !Ref AWS::URLSuffix
        NOTIFY: !Join [",", !Ref AWS::NotificationARNs]
        GONE: !Ref AWS::NoValue
        """,
        region="eu-central-1",
        account="123456789012",
    )
    assert found == {
        "REGION": "eu-central-1",
        "ACCOUNT": "123456789012",
        "PARTITION": "aws",
        "STACK": "local",
        "STACK_ID": (
            "arn:aws:cloudformation:eu-central-1:123456789012:stack/local/"
            "51af3dc0-da77-11e4-872e-1234567db123"
        ),
        "SUFFIX": "amazonaws.com",
        "NOTIFY": "",
    }


def test_partition_and_suffix_follow_the_region() -> None:
    found = env("P: !Ref AWS::Partition\nS: !Ref AWS::URLSuffix\n", region="cn-north-1")
    assert found == {"P": "aws-cn", "S": "amazonaws.com.cn"}
    assert env("P: !Ref AWS::Partition\n", region="us-gov-west-1") == {"P": "aws-us-gov"}


def test_sub() -> None:
    found = env(
        """\
        PLAIN: !Sub plain
        ONE: !Sub ["${P}"]
        PARAM: !Sub "${P}-${AWS::Region}"
        ATTR: !Sub "${Q.Arn}"
        LITERAL: !Sub "${!P} and ${ P }"
        VARS: !Sub
          - "${A}/${B}/${P}"
          - A: !Ref AWS::AccountId
            B: 7
        NUMBER: !Sub "${N}"
        """,
        before="Parameters:\n  P: {Type: String, Default: v}\n  N: {Type: Number, Default: 3}\n",
    )
    assert found == {
        "PLAIN": "plain",
        "ONE": "v",
        "PARAM": "v-us-east-1",
        "ATTR": "arn:aws:lambda:us-east-1:000000000000:function:Q",
        "LITERAL": "${P} and v",
        "VARS": "000000000000/7/v",
        "NUMBER": "3",
    }


def test_join_select_split() -> None:
    found = props(
        """\
        Environment:
          Variables:
            JOINED: !Join [":", [a, 1, true, !Ref AWS::NoValue, !Ref P]]
            EMPTY: !Join ["", []]
            SELECTED: !Select [1, [x, y, z]]
            SELECTED_TEXT_INDEX: !Select ["2", !Split [",", "a,b,c"]]
            FROM_LIST: !Select [0, !Ref L]
        Tags:
          parts: !Join ["|", !Split ["/", "a/b/c"]]
        """,
        before=(
            "Parameters:\n  P: {Type: String, Default: v}\n"
            "  L: {Type: CommaDelimitedList, Default: 'first, second'}\n"
        ),
    )
    assert found["Environment"]["Variables"] == {
        "JOINED": "a:1:true:v",
        "EMPTY": "",
        "SELECTED": "y",
        "SELECTED_TEXT_INDEX": "c",
        "FROM_LIST": "first",
    }
    assert found["Tags"] == {"parts": "a|b|c"}


def test_find_in_map_and_its_default_value() -> None:
    before = """\
        Mappings:
          Sizes:
            us-east-1: {Memory: 512, Names: [a, b]}
            dev: {Memory: 128}
        """
    found = env(
        """\
        REGION: !FindInMap [Sizes, !Ref AWS::Region, Memory]
        STAGE: !FindInMap [Sizes, dev, Memory]
        LIST: !Join [",", !FindInMap [Sizes, !Ref AWS::Region, Names]]
        DEFAULT: !FindInMap [Sizes, prod, Memory, {DefaultValue: 64}]
        """,
        before=before,
    )
    assert found == {"REGION": 512, "STAGE": 128, "LIST": "a,b", "DEFAULT": 64}


def test_base64_cidr_getazs_length_tojsonstring() -> None:
    found = props(
        """\
        Environment:
          Variables:
            B64: !Base64 "hello ${x}"
            AZ: !Select [0, !GetAZs ""]
            AZ_OTHER: !Select [1, !GetAZs eu-west-1]
            COUNT: !Length [a, b, c]
            JSON: !ToJsonString {a: [1, 2], b: !Ref AWS::Region}
        Tags:
          cidrs: !Join [" ", !Cidr ["10.0.0.0/16", 3, 8]]
          cidr6: !Select [1, !Cidr ["2001:db8::/56", 2, 64]]
        """
    )
    assert found["Environment"]["Variables"] == {
        "B64": base64.b64encode(b"hello ${x}").decode(),
        "AZ": "us-east-1a",
        "AZ_OTHER": "eu-west-1b",
        "COUNT": 3,
        "JSON": '{"a":[1,2],"b":"us-east-1"}',
    }
    assert found["Tags"] == {
        "cidrs": "10.0.0.0/24 10.0.1.0/24 10.0.2.0/24",
        "cidr6": "2001:db8:0:1::/64",
    }


def test_what_only_aws_knows_is_unresolved() -> None:
    loaded = load(
        function(
            """\
            Environment:
              Variables:
                IMPORTED: !ImportValue {"Fn::Sub": "${AWS::StackName}-Vpc"}
                SSM: "{{resolve:ssm:/config/db-host}}"
                SECRET: !Sub "postgres://{{resolve:secretsmanager:db:SecretString:password}}@h"
                SSM_PARAM: !Ref Host
                IN_SUB: !Sub "${Host}:5432"
                TRANSFORMED: {"Fn::Transform": {Name: "AWS::Include", Parameters: {}}}
                OTHER_ATTR: !GetAtt Q.SnapStartResponse
            """,
            before=(
                "Parameters:\n  Host:\n    Type: AWS::SSM::Parameter::Value<String>\n"
                "    Default: /config/host\n"
            ),
        )
    )
    variables = loaded.resources["Fn"].properties["Environment"]["Variables"]
    assert {k: v.reason for k, v in variables.items()} == {
        "IMPORTED": "!ImportValue local-Vpc",
        "SSM": "{{resolve:ssm:/config/db-host}}",
        "SECRET": "{{resolve:secretsmanager:db:SecretString:password}}",
        "SSM_PARAM": "!Ref Host (SSM parameter /config/host)",
        "IN_SUB": "!Ref Host (SSM parameter /config/host)",
        "TRANSFORMED": "Fn::Transform AWS::Include",
        "OTHER_ATTR": "!GetAtt Q.SnapStartResponse",
    }
    assert variables["SSM"].where == (
        "template.yaml:14:Resources.Fn.Properties.Environment.Variables.SSM"
    )
    assert len(loaded.warnings) == 7
    assert loaded.resources["Fn"].unresolved() == list(variables.values())
    assert loaded.warnings[0] == (
        "template.yaml:13:Resources.Fn.Properties.Environment.Variables.IMPORTED: "
        "!ImportValue local-Vpc is not known locally"
    )


# --------------------------------------------------------------------------------------------
# Conditions


CONDITIONS = """\
    Parameters:
      Env: {Type: String, Default: dev}
      Count: {Type: Number, Default: 3}
    Conditions:
      IsProd: !Equals [!Ref Env, prod]
      IsDev: !Equals [dev, !Ref Env]
      NotProd: !Not [!Condition IsProd]
      Both: !And [!Condition IsDev, !Condition NotProd]
      Either: !Or [!Condition IsProd, !Equals [!Ref Count, 3]]
      LongForm: {"Fn::And": [{Condition: IsDev}, {"Fn::Equals": ["a", "a"]}]}
    """


def test_conditions_and_if() -> None:
    text = function(
        """\
        Environment:
          Variables:
            PROD: !If [IsProd, yes-prod, no-prod]
            GONE: !If [IsProd, x, !Ref AWS::NoValue]
            NESTED: !If [Both, !If [Either, both-either, both], neither]
        Description: !If [LongForm, long, short]
        """,
        before=CONDITIONS,
    )
    loaded = load(text)
    assert loaded.conditions == {
        "IsProd": False,
        "IsDev": True,
        "NotProd": True,
        "Both": True,
        "Either": True,
        "LongForm": True,
    }
    fn = loaded.resources["Fn"].properties
    assert fn["Environment"]["Variables"] == {"PROD": "no-prod", "NESTED": "both-either"}
    assert fn["Description"] == "long"
    prod = template.load(Path("template.yaml"), text, parameter_overrides={"Env": "prod"})
    assert prod.resources["Fn"].properties["Environment"]["Variables"] == {
        "PROD": "yes-prod",
        "GONE": "x",
        "NESTED": "neither",
    }


def test_resource_conditions() -> None:
    text = (
        HEADER
        + textwrap.dedent(CONDITIONS)
        + textwrap.dedent(
            """\
            Resources:
              ProdQueue:
                Type: AWS::SQS::Queue
                Condition: IsProd
              DevQueue:
                Type: AWS::SQS::Queue
                Condition: IsDev
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  Handler: a.b
                  Environment:
                    Variables:
                      QUEUE: !If [IsProd, !Ref ProdQueue, !Ref DevQueue]
                      PROD_QUEUE: !Ref ProdQueue
            """
        )
    )
    loaded = load(text)
    assert list(loaded.resources) == ["DevQueue", "Fn"]
    assert loaded.resources["DevQueue"].condition == "IsDev"
    variables = loaded.resources["Fn"].properties["Environment"]["Variables"]
    assert variables["QUEUE"] == "https://sqs.us-east-1.amazonaws.com/000000000000/DevQueue"
    assert variables["PROD_QUEUE"].reason == (
        "!Ref ProdQueue (not created: its Condition IsProd is false)"
    )


def test_an_unknowable_comparison_is_false_with_a_warning() -> None:
    loaded = load(
        function(
            "Description: !If [Shared, shared, own]\n",
            before="Conditions:\n  Shared: !Equals [!ImportValue Mode, shared]\n",
        )
    )
    assert loaded.resources["Fn"].properties["Description"] == "own"
    assert loaded.conditions == {"Shared": False}
    assert "template.yaml:3:Conditions.Shared: compares !ImportValue Mode" in loaded.warnings[-1]


# --------------------------------------------------------------------------------------------
# Parameters


def test_parameter_types_defaults_and_overrides() -> None:
    before = """\
        Parameters:
          Name: {Type: String, Default: fn}
          Memory: {Type: Number, Default: 128}
          Ratio: {Type: Number, Default: "0.5"}
          Subnets: {Type: CommaDelimitedList, Default: "a, b,c"}
          Ports: {Type: "List<Number>", Default: "80,443"}
          Vpc: {Type: "AWS::EC2::VPC::Id", Default: vpc-1}
          Flag: {Type: String, Default: true}
          Empty: {Type: String, Default: ""}
        """
    body = """\
        MemorySize: !Ref Memory
        Tags:
          name: !Ref Name
          ratio: !Sub "${Ratio}"
          subnets: !Join ["|", !Ref Subnets]
          port: !Select [1, !Ref Ports]
          vpc: !Ref Vpc
          flag: !Ref Flag
          empty: !Ref Empty
        """
    loaded = load(function(body, before=before))
    assert loaded.parameters == {
        "Name": "fn",
        "Memory": "128",
        "Ratio": "0.5",
        "Subnets": "a, b,c",
        "Ports": "80,443",
        "Vpc": "vpc-1",
        "Flag": "true",
        "Empty": "",
    }
    fn = loaded.resources["Fn"].properties
    assert fn["MemorySize"] == 128
    assert fn["Tags"] == {
        "name": "fn",
        "ratio": "0.5",
        "subnets": "a|b|c",
        "port": 443,
        "vpc": "vpc-1",
        "flag": "true",
        "empty": "",
    }
    overrides = {"Memory": "1024", "Subnets": "x", "Name": "va lue"}
    fn = load(function(body, before=before), parameter_overrides=overrides).resources["Fn"]
    assert fn.properties["MemorySize"] == 1024
    assert fn.properties["Tags"]["subnets"] == "x"
    assert fn.properties["Tags"]["name"] == "va lue"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Key=Value Key2="va lue"', {"Key": "Value", "Key2": "va lue"}),
        ("Key='a=b' Empty=", {"Key": "a=b", "Empty": ""}),
        (
            'ParameterKey=K,ParameterValue=V ParameterKey=K2,ParameterValue="v 2"',
            {"K": "V", "K2": "v 2"},
        ),
        ("ParameterKey=List,ParameterValue=a,b,c", {"List": "a,b,c"}),
        ("", {}),
    ],
)
def test_parse_overrides(text: str, expected: dict[str, str]) -> None:
    assert template.parse_overrides(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Key", "invalid --parameter-overrides: 'Key' is not Key=Value"),
        ("=v", "invalid --parameter-overrides: '=v' is not Key=Value"),
        ('Key="open', "invalid --parameter-overrides: No closing quotation"),
    ],
)
def test_parse_overrides_refuses(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        template.parse_overrides(text)
    assert str(caught.value) == message


def test_a_parameter_with_no_value() -> None:
    before = """\
        Parameters:
          Stage: {Type: String}
          Size: {Type: Number, Default: 1}
          Team: {Type: String}
        """
    # CloudFormation refuses the stack; here only what uses them cannot run
    unset = load(function("Timeout: 3\n", before=before))
    assert unset.parameters == {"Size": "1"}
    assert unset.warnings == (
        "template.yaml:3:Parameters: [Stage, Team] must have values: what uses them cannot "
        "run (--parameter-overrides gives them)",
    )
    used = load(function("Timeout: !Ref Stage\n", before=before))
    [gap] = used.resources["Fn"].unresolved()
    assert gap.reason == (
        "!Ref Stage (no value: the parameter has no Default; give it with "
        "--parameter-overrides Stage=VALUE)"
    )
    loaded = load(function("Timeout: 3\n", before=before), parameter_overrides={
        "Stage": "dev", "Team": "a", "Unknown": "x",
    })  # fmt: skip
    assert loaded.parameters == {"Stage": "dev", "Size": "1", "Team": "a"}
    assert loaded.warnings == (
        "template.yaml:1:Parameters: the override Unknown names no parameter; ignored",
    )


@pytest.mark.parametrize(
    ("declaration", "value", "message"),
    [
        ("{Type: String, AllowedValues: [dev, prod]}", "test",
         "Parameter 'P' must be one of AllowedValues"),
        ("{Type: String, AllowedValues: [dev], ConstraintDescription: dev only}", "x",
         "Parameter P failed to satisfy constraint: dev only"),
        ("{Type: String, AllowedPattern: '[a-z]+'}", "abc1",
         "Parameter P must match pattern [a-z]+"),
        ("{Type: String, AllowedPattern: '[a-z]+', ConstraintDescription: lower case}", "A",
         "Parameter P failed to satisfy constraint: lower case"),
        ("{Type: String, MinLength: 3}", "ab", "Parameter 'P' must contain at least 3 characters"),
        ("{Type: String, MaxLength: 2}", "abc", "Parameter 'P' must contain at most 2 characters"),
        ("{Type: Number, MinValue: 128}", "64", "Parameter 'P' must be a number not less than 128"),
        ("{Type: Number, MaxValue: 10}", "11",
         "Parameter 'P' must be a number not greater than 10"),
        ("{Type: Number}", "ten", "Parameter 'P' must be a number"),
        ("{Type: CommaDelimitedList, AllowedValues: [a, b]}", "a,c",
         "Parameter 'P' must be one of AllowedValues"),
    ],
)  # fmt: skip
def test_parameter_constraints(declaration: str, value: str, message: str) -> None:
    text = function("Timeout: 3\n", before=f"Parameters:\n  P: {declaration}\n")
    assert (
        fails(text, parameter_overrides={"P": value}) == f"template.yaml:3: Parameters.P: {message}"
    )
    # the same value as the Default is refused the same way
    with_default = declaration.replace("{", f"{{Default: '{value}', ", 1)
    text = function("Timeout: 3\n", before=f"Parameters:\n  P: {with_default}\n")
    assert fails(text) == f"template.yaml:3: Parameters.P: {message}"


def test_parameter_constraints_hold_for_good_values() -> None:
    before = """\
        Parameters:
          Env: {Type: String, AllowedValues: [dev, prod], Default: dev}
          Name:
            {Type: String, AllowedPattern: "[a-z-]+", MinLength: 2, MaxLength: 10, Default: my-fn}
          Memory: {Type: Number, MinValue: 128, MaxValue: 10240, Default: 128}
          Yes: {Type: String, AllowedValues: [true, false], Default: false}
        """
    loaded = load(function("Timeout: 3\n", before=before))
    assert loaded.parameters == {"Env": "dev", "Name": "my-fn", "Memory": "128", "Yes": "false"}


# --------------------------------------------------------------------------------------------
# Globals


GLOBALS = """\
    Globals:
      Function:
        Runtime: python3.12
        Timeout: 10
        Layers: [arn:aws:lambda:us-east-1:123456789012:layer:global:1]
        Environment:
          Variables:
            SHARED: global
            OVERRIDDEN: global
        VpcConfig:
          SecurityGroupIds: [sg-123, sg-456]
          SubnetIds: [subnet-1]
        Tags:
          team: platform
        Tracing: !If [Never, Active, PassThrough]
    """


def test_globals_merge_as_sam_merges() -> None:
    found = props(
        """\
        Timeout: 30
        Layers: [arn:aws:lambda:us-east-1:123456789012:layer:own:2]
        Environment:
          Variables:
            OVERRIDDEN: own
            OWN: own
        VpcConfig:
          SecurityGroupIds: [sg-first]
        Tracing: Active
        """,
        before="Conditions:\n  Never: !Equals [a, b]\n" + textwrap.dedent(GLOBALS),
    )
    assert found == {
        "Runtime": "python3.12",  # global only
        "Timeout": 30,  # scalar: the function's
        "Layers": [  # lists: global items, then the function's
            "arn:aws:lambda:us-east-1:123456789012:layer:global:1",
            "arn:aws:lambda:us-east-1:123456789012:layer:own:2",
        ],
        "Environment": {  # maps: merged key by key, the function wins
            "Variables": {"SHARED": "global", "OVERRIDDEN": "own", "OWN": "own"}
        },
        "VpcConfig": {
            "SecurityGroupIds": ["sg-123", "sg-456", "sg-first"],
            "SubnetIds": ["subnet-1"],
        },
        "Tags": {"team": "platform"},
        "Tracing": "Active",
        "Handler": "app.handler",
    }


def test_globals_merge_is_the_sam_translators(tmp_path: Path) -> None:
    """The same merge as the SAM translator's own `GlobalProperties` (in the test extra)."""
    from samtranslator.plugins.globals.globals import GlobalProperties

    from lambdactl.sam import document

    cases = [
        ({"A": [1, 2], "M": {"x": 1, "l": [1]}}, {"A": [3], "M": {"y": 2, "l": [2]}}),
        ({"A": [1]}, {"A": {"Ref": "X"}}),
        ({"A": {"Ref": "X"}}, {"A": {"k": 1}}),
        ({"A": {"k": {"Fn::If": ["C", 1, 2]}}}, {"A": {"k": {"j": 3}}}),
        ({"A": "s", "B": {"c": [1]}}, {"B": {"c": "no"}, "D": None}),
    ]
    for global_value, local_value in cases:
        expected = GlobalProperties(copy.deepcopy(global_value)).merge(copy.deepcopy(local_value))
        ours = template._merge(  # type: ignore[attr-defined]
            document.parse(json.dumps(global_value), "g"),
            document.parse(json.dumps(local_value), "l"),
        )
        assert json.loads(json.dumps(ours)) == expected


def test_globals_lines_point_at_the_globals_section() -> None:
    loaded = load(
        function(
            "Timeout: 3\n",
            before=textwrap.dedent(GLOBALS) + "Conditions:\n  Never: !Equals [a, b]\n",
        )
    )
    fn = loaded.resources["Fn"]
    assert fn.where("Runtime") == "template.yaml:4:Resources.Fn.Properties.Runtime"
    assert fn.where("Environment", "Variables", "SHARED") == (
        "template.yaml:9:Resources.Fn.Properties.Environment.Variables.SHARED"
    )


def test_globals_of_other_types_and_ignore_globals() -> None:
    text = HEADER + textwrap.dedent(
        """\
        Globals:
          Function:
            Timeout: 10
            MemorySize: 256
          Api:
            Cors: "'*'"
          HttpApi:
            FailOnWarnings: true
          SimpleTable:
            SSESpecification: {SSEEnabled: true}
          LayerVersion:
            PublishLambdaVersion: true
        Resources:
          Plain:
            Type: AWS::Serverless::Function
            Properties: {Handler: a.b}
          NoneOfThem:
            Type: AWS::Serverless::Function
            IgnoreGlobals: "*"
            Properties: {Handler: a.b}
          NotTimeout:
            Type: AWS::Serverless::Function
            IgnoreGlobals: [Timeout]
            Properties: {Handler: a.b}
          Lambda:
            Type: AWS::Lambda::Function
            Properties: {Handler: a.b}
          Rest:
            Type: AWS::Serverless::Api
            Properties: {StageName: v1}
          Http:
            Type: AWS::Serverless::HttpApi
            Properties:
          Table:
            Type: AWS::Serverless::SimpleTable
          Layer:
            Type: AWS::Serverless::LayerVersion
            Properties: {ContentUri: lib/}
        """
    )
    found = {k: dict(r.properties) for k, r in load(text).resources.items()}
    assert found == {
        "Plain": {"Timeout": 10, "MemorySize": 256, "Handler": "a.b"},
        "NoneOfThem": {"Handler": "a.b"},
        "NotTimeout": {"MemorySize": 256, "Handler": "a.b"},
        "Lambda": {"Handler": "a.b"},  # plain CloudFormation: no Globals
        "Rest": {"Cors": "'*'", "StageName": "v1"},
        "Http": {"FailOnWarnings": True},
        "Table": {"SSESpecification": {"SSEEnabled": True}},
        "Layer": {"PublishLambdaVersion": True, "ContentUri": "lib/"},
    }


def test_globals_errors_are_sams() -> None:
    message = fails(HEADER + "Globals:\n  Function:\n    FunctionName: x\n" + _ONE_FUNCTION)
    assert message.startswith(
        "template.yaml:4: Globals.Function.FunctionName: 'Globals' section is invalid. "
        "'FunctionName' is not a supported property of 'Function'. "
        "Must be one of the following values - ['Handler', 'Runtime', 'CodeUri', "
    )
    assert fails(HEADER + "Globals:\n  Queue:\n    X: 1\n" + _ONE_FUNCTION) == (
        "template.yaml:3: Globals.Queue: 'Globals' section is invalid. 'Queue' is not supported. "
        "Must be one of the following values - ['Api', 'CapacityProvider', 'Function', "
        "'HttpApi', 'LayerVersion', 'SimpleTable', 'StateMachine', 'WebSocketApi']"
    )
    assert fails(HEADER + "Globals: []\n" + _ONE_FUNCTION) == (
        "template.yaml:2: Globals: 'Globals' section is invalid. It must be a non-empty dictionary"
    )
    text = _ONE_FUNCTION.replace("    Properties:", "    IgnoreGlobals: [Runtime]\n    Properties:")
    assert fails(HEADER + "Globals:\n  Function:\n    Timeout: 3\n" + text) == (
        "template.yaml:8: Resources.Fn.IgnoreGlobals: Resource Fn has invalid resource "
        "attribute 'IgnoreGlobals' on item 'Runtime'."
    )


_ONE_FUNCTION = """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.b
"""


# --------------------------------------------------------------------------------------------
# Ref and GetAtt of resources


RESOURCES = """\
    Resources:
      Named:
        Type: AWS::Serverless::Function
        Properties: {FunctionName: my-fn, Handler: a.b, AutoPublishAlias: live}
      Unnamed:
        Type: AWS::Lambda::Function
        Properties: {Handler: a.b, Role: arn:aws:iam::1:role/r}
      Queue:
        Type: AWS::SQS::Queue
        Properties: {QueueName: jobs}
      Fifo:
        Type: AWS::SQS::Queue
        Properties: {FifoQueue: true}
      Topic:
        Type: AWS::SNS::Topic
      Layer:
        Type: AWS::Serverless::LayerVersion
        Properties: {LayerName: deps, ContentUri: lib/}
      Stream:
        Type: AWS::Kinesis::Stream
        Properties: {Name: clicks, ShardCount: 1}
      Table:
        Type: AWS::DynamoDB::Table
      Bucket:
        Type: AWS::S3::Bucket
        Properties: {BucketName: uploads}
      Rest:
        Type: AWS::Serverless::Api
        Properties: {StageName: v1}
      Http:
        Type: AWS::Serverless::HttpApi
      Role:
        Type: AWS::IAM::Role
      Bus:
        Type: AWS::Events::EventBus
        Properties: {Name: orders}
      Alias:
        Type: AWS::Lambda::Alias
        Properties: {FunctionName: !Ref Unnamed, FunctionVersion: "1", Name: blue}
      WithUrl:
        Type: AWS::Serverless::Function
        Properties: {Handler: a.b, FunctionUrlConfig: {AuthType: NONE}}
      Other:
        Type: AWS::CloudWatch::Alarm
      Using:
        Type: AWS::Serverless::Function
        Properties:
          Handler: a.b
          Events:
            Get: {Type: Api, Properties: {Path: /, Method: get}}
            Route: {Type: HttpApi}
          Environment:
            Variables:
    """

REFS = {
    "!Ref Named": "my-fn",
    "!Ref Unnamed": "Unnamed",
    "!Ref Queue": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
    "!Ref Fifo": "https://sqs.eu-west-1.amazonaws.com/123456789012/Fifo.fifo",
    "!Ref Topic": "arn:aws:sns:eu-west-1:123456789012:Topic",
    "!Ref Layer": "arn:aws:lambda:eu-west-1:123456789012:layer:deps:1",
    "!Ref Stream": "clicks",
    "!Ref Table": "Table",
    "!Ref Bucket": "uploads",
    "!Ref Role": "Role",
    "!Ref Other": "Other",
    "!Ref Named.Alias": "arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live",
    "!Ref NamedAliaslive": "arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live",
    "!Ref Restv1Stage": "v1",
    "!Ref ServerlessRestApiProdStage": "Prod",
    "!Ref HttpApiGatewayDefaultStage": "$default",
    "!Ref UsingGet": "UsingGet",
    "!Ref Bus": "orders",
    "!GetAtt Bus.Arn": "arn:aws:events:eu-west-1:123456789012:event-bus/orders",
    "!Ref Alias": "arn:aws:lambda:eu-west-1:123456789012:function:Unnamed:blue",
    "!Ref WithUrlUrl": "arn:aws:lambda:eu-west-1:123456789012:function:WithUrl",
    "!GetAtt Named.Arn": "arn:aws:lambda:eu-west-1:123456789012:function:my-fn",
    "!GetAtt Unnamed.Arn": "arn:aws:lambda:eu-west-1:123456789012:function:Unnamed",
    "!GetAtt Queue.Arn": "arn:aws:sqs:eu-west-1:123456789012:jobs",
    "!GetAtt Queue.QueueName": "jobs",
    "!GetAtt Queue.QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
    "!GetAtt Topic.TopicArn": "arn:aws:sns:eu-west-1:123456789012:Topic",
    "!GetAtt Topic.TopicName": "Topic",
    "!GetAtt Layer.LayerVersionArn": "arn:aws:lambda:eu-west-1:123456789012:layer:deps:1",
    "!GetAtt Stream.Arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks",
    "!GetAtt Table.Arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/Table",
    "!GetAtt Table.StreamArn": (
        "arn:aws:dynamodb:eu-west-1:123456789012:table/Table/stream/1970-01-01T00:00:00.000"
    ),
    "!GetAtt Bucket.Arn": "arn:aws:s3:::uploads",
    "!GetAtt Role.Arn": "arn:aws:iam::123456789012:role/Role",
    "!GetAtt UsingRole.Arn": "arn:aws:iam::123456789012:role/UsingRole",
    "!GetAtt Http.ApiEndpoint": "https://{Http}.execute-api.eu-west-1.amazonaws.com",
    "!GetAtt ServerlessHttpApi.ApiEndpoint": (
        "https://{ServerlessHttpApi}.execute-api.eu-west-1.amazonaws.com"
    ),
}


def test_ref_and_getatt_of_each_resource_type() -> None:
    lines = "".join(f"          V{i}: {expression}\n" for i, expression in enumerate(REFS))
    text = HEADER + textwrap.dedent(RESOURCES) + lines
    loaded = load(text, region="eu-west-1", account="123456789012")
    variables = loaded.resources["Using"].properties["Environment"]["Variables"]
    ids = {
        name: resources.api_id(name, region="eu-west-1", account="123456789012")
        for name in ("Rest", "Http", "ServerlessRestApi", "ServerlessHttpApi")
    }
    expected = {f"V{i}": value.format(**ids) for i, value in enumerate(REFS.values())}
    assert variables == expected
    assert loaded.warnings == ()


def test_apis_ref_to_a_stable_id() -> None:
    text = (
        HEADER
        + textwrap.dedent(RESOURCES)
        + ("          A: !Ref Rest\n          B: !Ref ServerlessRestApi\n          C: !Ref Http\n")
    )
    variables = load(text).resources["Using"].properties["Environment"]["Variables"]
    assert all(len(v) == 10 and v.isalnum() for v in variables.values())
    assert len(set(variables.values())) == 3
    again = load(text).resources["Using"].properties["Environment"]["Variables"]
    assert again == variables


def test_attributes_with_no_local_meaning_are_unresolved() -> None:
    text = (
        HEADER
        + textwrap.dedent(RESOURCES)
        + (
            "          A: !GetAtt Other.Arn\n"
            "          B: !Ref Named.Version\n"
            "          C: !GetAtt Rest.RootResourceId\n"
            "          D: !GetAtt WithUrlUrl.FunctionUrl\n"
        )
    )
    loaded = load(text)
    variables = loaded.resources["Using"].properties["Environment"]["Variables"]
    assert {k: v.reason for k, v in variables.items()} == {
        "A": "!GetAtt Other.Arn",
        "B": "!Ref Named.Version (a published version)",
        "C": "!GetAtt Rest.RootResourceId",
        "D": "!GetAtt WithUrlUrl.FunctionUrl (the served URL)",
    }
    assert variables["B"].where == (
        "template.yaml:56:Resources.Using.Properties.Environment.Variables.B"
    )


def test_a_name_may_come_from_another_resource() -> None:
    loaded = load(
        HEADER
        + textwrap.dedent(
            """\
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  FunctionName: !Sub "${Queue.QueueName}-worker"
                  Handler: a.b
              Queue:
                Type: AWS::SQS::Queue
                Properties:
                  QueueName: !Join ["-", [!Ref AWS::StackName, jobs]]
              Other:
                Type: AWS::Serverless::Function
                Properties:
                  Handler: a.b
                  Description: !GetAtt Fn.Arn
            """
        )
    )
    assert loaded.resources["Fn"].properties["FunctionName"] == "local-jobs-worker"
    assert loaded.resources["Other"].properties["Description"] == (
        "arn:aws:lambda:us-east-1:000000000000:function:local-jobs-worker"
    )


# --------------------------------------------------------------------------------------------
# Errors: one line, file:line:path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Description: !Ref Nope\n",
         "template.yaml:9: Resources.Fn.Properties.Description: Template format error: "
         "Unresolved resource dependencies [Nope] in the Resources block of the template"),
        ("Description: !Sub 'x-${Nope}'\n",
         "template.yaml:9: Resources.Fn.Properties.Description: Template format error: "
         "Unresolved resource dependencies [Nope] in the Resources block of the template"),
        ("Description: !GetAtt Nope.Arn\n",
         "template.yaml:9: Resources.Fn.Properties.Description: Template error: instance of "
         "Fn::GetAtt references undefined resource Nope"),
        ("Description: !Select [3, [a, b]]\n",
         "template.yaml:9: Resources.Fn.Properties.Description: Fn::Select cannot select "
         "nonexistent value at index 3"),
        ("Description: !FindInMap [M, a, nope]\n",
         "template.yaml:9: Resources.Fn.Properties.Description: Unable to get mapping for "
         "M::a::nope"),
        ("Description: !FindInMap [Nope, a, b]\n",
         "template.yaml:9: Resources.Fn.Properties.Description: Unable to get mapping for "
         "Nope::a::b"),
        ("Description: !If [Nope, a, b]\n",
         "template.yaml:9: Resources.Fn.Properties.Description: the condition Nope is not "
         "declared in Conditions"),
        ("Description: !Join [',', a]\n",
         "template.yaml:9: Resources.Fn.Properties.Description: Fn::Join: expected a list, "
         "got str 'a'"),
        ("Description: !Sub ['${L}', {L: [a]}]\n",
         "template.yaml:9: Resources.Fn.Properties.Description: Fn::Sub: ${L} is a list, "
         "not a string"),
        ("Description: {\"Fn::Nope\": 1}\n",
         "template.yaml:9: Resources.Fn.Properties.Description: Fn::Nope is not a function "
         "CloudFormation knows"),
    ],
)  # fmt: skip
def test_intrinsic_errors(body: str, message: str) -> None:
    text = HEADER + "Mappings:\n  M: {a: {b: 1}}\n" + _ONE_FUNCTION + "      " + body
    assert fails(text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources:\n  Fn: [\n", "template.yaml:3: invalid YAML: expected the node content"),
        ("Resources:\n  Fn:\n    Type: !Bogus x\n", "template.yaml:3: unknown tag !Bogus"),
        ("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n", "template.yaml:3: duplicate key 'A'"),
        ("Description: x\n", "template.yaml:1: Template format error: At least one Resources "
         "member must be defined."),
        ("Resources: {}\n", "template.yaml:1: Template format error: At least one Resources "
         "member must be defined."),
        ("Resources:\n  Fn:\n    Properties: {}\n", "template.yaml:2: Resources.Fn: Every "
         "Resources object must contain a Type member."),
        ("Parameters:\n  P: {Default: 1}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n",
         "template.yaml:2: Parameters.P: Every Parameters object must contain a Type member."),
        ("- a\n", "template.yaml:1: a template must be a mapping with a 'Resources' section"),
    ],
)  # fmt: skip
def test_template_errors(text: str, message: str) -> None:
    assert fails(text).startswith(message)


def test_conditions_cannot_name_resources() -> None:
    text = HEADER + "Conditions:\n  C: !Equals [!Ref Fn, x]\n" + _ONE_FUNCTION
    assert fails(text) == (
        "template.yaml:3: Conditions.C: Template format error: Unresolved dependencies [Fn]. "
        "Cannot reference resources in the Conditions block of the template"
    )


def test_circular_conditions() -> None:
    text = (
        HEADER
        + textwrap.dedent(
            """\
        Conditions:
          A: !Condition B
          B: !Not [!Condition C]
          C: !And [!Condition A, !Equals [1, 1]]
        """
        )
        + _ONE_FUNCTION
    )
    assert fails(text) == (
        "template.yaml:3: Conditions.A: Template format error: Circular dependency between "
        "conditions: [A, B, C]"
    )


def test_circular_names() -> None:
    text = HEADER + textwrap.dedent(
        """\
        Resources:
          A:
            Type: AWS::SQS::Queue
            Properties: {QueueName: !GetAtt B.QueueName}
          B:
            Type: AWS::SQS::Queue
            Properties: {QueueName: !Sub "${A.QueueName}-b"}
        """
    )
    assert (
        fails(text) == "template.yaml:6: Resources.B: Circular dependency between resources: [B, A]"
    )


def test_outputs_are_lenient() -> None:
    loaded = load(
        _ONE_FUNCTION.replace("Resources:", HEADER + "Resources:")
        + "Outputs:\n  Stage:\n    Value: !Ref ServerlessRestApiDeployment1234\n"
    )
    assert loaded.outputs["Stage"].reason == "!Ref ServerlessRestApiDeployment1234"
    assert loaded.warnings == (
        "template.yaml:9:Outputs.Stage.Value: !Ref ServerlessRestApiDeployment1234 is not "
        "known locally",
    )


# --------------------------------------------------------------------------------------------
# is_template


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEADER + "Resources:\n  Q: {Type: AWS::SQS::Queue}\n", True),
        ("Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]\nResources: {Q: {}}\n",
         True),
        ("Resources:\n  F: {Type: AWS::Lambda::Function}\n", True),
        ("Resources:\n  F: {Type: AWS::Serverless::Function}\n", True),
        ("Resources:\n  Q: {Type: AWS::SQS::Queue}\n", False),
        ("functions:\n  hello: {handler: app.handler}\n", False),
        ("Transform: AWS::Serverless-2016-10-31\n", False),
        ("Resources: [\n", False),
        ("", False),
    ],
)  # fmt: skip
def test_is_template(text: str, expected: bool) -> None:
    assert template.is_template(text) is expected


def test_is_template_of_data() -> None:
    assert template.is_template({"Resources": {"F": {"Type": "AWS::Lambda::Function"}}})
    assert not template.is_template({"functions": {}})
    assert not template.is_template(None)


def test_for_each_is_left_out_with_a_warning() -> None:
    loaded = load(
        "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]\n"
        + _ONE_FUNCTION
        + "  Fn::ForEach::Queues:\n    - Name\n    - [A, B]\n"
        + "    - Queue${Name}: {Type: AWS::SQS::Queue}\n"
    )
    assert list(loaded.resources) == ["Fn"]
    assert loaded.warnings == (
        "template.yaml:7:Resources.Fn::ForEach::Queues: Fn::ForEach is not expanded locally; "
        "its resources are left out",
    )


def test_an_invalid_allowed_pattern() -> None:
    text = function(
        "Timeout: 3\n", before="Parameters:\n  P: {Type: String, Default: a, AllowedPattern: '('}\n"
    )
    assert fails(text).startswith(
        "template.yaml:3: Parameters.P: AllowedPattern of parameter P is not a valid pattern: "
    )


FUZZ_TOKENS = (
    "!Ref X", "!GetAtt A", "!Sub", "[", "]", "{", "}", ":", "- ", "!If [a]", "!Select [9, []]",
    "!Join [1]", "!FindInMap [A]", "!Cidr [x, 1, 1]", '!Split ["", x]', "!GetAZs 3",
    "!Equals [1]", "!Not 1", "!And [1]", "~", "!Base64 [1]", "Fn::Sub: [1, 2, 3]", "Ref: [1]",
    "!Length x", "!ToJsonString", "!Condition 3", "!ImportValue [1]", "!Transform x", "Type: 3",
    "Condition: Nope", "Condition: [1]", "Properties: 3", "IgnoreGlobals: 3",
    "Default: [1, {a: 2}]", "AllowedPattern: '('", "MinLength: x", "!Sub ['${A}', {A: [1]}]",
)  # fmt: skip


def test_broken_templates_give_one_line_never_a_traceback() -> None:
    """Fixtures with lines deleted or replaced by odd values: a Template or a ManifestError."""
    import random

    chooser = random.Random(14)
    texts = [(FIXTURES / name / "template.yaml").read_text() for name in ("orders", "hello-world")]
    for _ in range(400):
        lines = chooser.choice(texts).splitlines()
        for _ in range(chooser.randint(1, 4)):
            index = chooser.randrange(len(lines))
            line, token = lines[index], chooser.choice(FUZZ_TOKENS)
            if chooser.random() < 0.3:
                del lines[index]
            elif ":" in line:
                lines[index] = line[: line.index(":") + 1] + " " + token
            else:
                lines.insert(index, line[: len(line) - len(line.lstrip())] + token)
        try:
            template.load(Path("template.yaml"), "\n".join(lines) + "\n")
        except ManifestError as error:
            assert "\n" not in str(error)


def test_the_destinations_sam_makes_are_named() -> None:
    loaded = load(
        HEADER
        + textwrap.dedent(
            """\
        Conditions:
          Make: !Equals [a, a]
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Runtime: python3.12
              EventInvokeConfig:
                DestinationConfig:
                  OnSuccess: {Type: SQS}
                  OnFailure:
                    Type: SNS
                    Destination: !If [Make, !Ref AWS::NoValue, arn:aws:sns:us-east-1:1:t]
          Reader:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Runtime: python3.12
              Environment:
                Variables:
                  QUEUE: !Ref Fn.DestinationQueue
                  QUEUE_ARN: !GetAtt Fn.DestinationQueue.Arn
                  TOPIC: !Ref Fn.DestinationTopic
        """
        )
    )
    variables = loaded.resources["Reader"].properties["Environment"]["Variables"]
    assert variables == {
        "QUEUE": (
            "https://sqs.us-east-1.amazonaws.com/000000000000/FnEventInvokeConfigOnSuccessQueue"
        ),
        "QUEUE_ARN": "arn:aws:sqs:us-east-1:000000000000:FnEventInvokeConfigOnSuccessQueue",
        "TOPIC": "arn:aws:sns:us-east-1:000000000000:FnEventInvokeConfigOnFailureTopic",
    }
