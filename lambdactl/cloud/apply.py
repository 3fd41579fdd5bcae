"""Carrying out a plan with boto3, one step after another, saving the state after each write
call that succeeded (so a deploy stopped half-way resumes where it stopped).

boto3 is imported inside the functions that call AWS only. A step whose write AWS refuses
stops the deploy with `DeployFailed`: the resource and AWS's error in one line.

`$LATEST`'s code and configuration writes are checked against the state right before they
are made (the plan may have moved `$LATEST` for a version): nothing is written twice.
Between a code and a configuration update, Lambda must finish the first
(`LastUpdateStatus: Successful`): the `function_updated_v2` waiter waits for it.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import LambdactlError
from .plan import Ref, Remote, Step
from .state import DeployState, FunctionState, state_path, target_name

DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
"""What an `--endpoint-url` (moto, LocalStack) is given when no credentials are found."""
ROLE_PROPAGATION_SECONDS = 60.0
"""How long CreateFunction is retried while IAM has not yet propagated a new role."""
ROLE_POLICY = "lambdactl-sources"
CONFLICTS = ("ResourceConflictException", "ConflictException")
"""What AWS answers for a resource that is already there (moto says ConflictException for
an alias)."""
"""The inline policy of a generated role: what its sources and destinations need."""


class DeployFailed(LambdactlError):
    """A write AWS refused, or an endpoint that could not be reached."""


@dataclass(frozen=True)
class Target:
    """Where a deploy goes: a region, and a profile or an endpoint (moto, LocalStack)."""

    region: str
    profile: str | None = None
    endpoint_url: str | None = None


class Clients:
    """boto3 clients of one target, made on first use."""

    def __init__(self, target: Target) -> None:
        import boto3
        import botocore.exceptions

        self.target = target
        try:
            session = boto3.Session(profile_name=target.profile, region_name=target.region)
            if target.endpoint_url and session.get_credentials() is None:
                session = boto3.Session(region_name=target.region, **DUMMY_CREDENTIALS)
        except botocore.exceptions.BotoCoreError as exc:
            raise DeployFailed(f"AWS credentials: {exc}") from None
        self.session = session
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            from botocore.config import Config

            config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=10)
            client = self.session.client(
                service, endpoint_url=self.target.endpoint_url, config=config
            )
            self._clients[service] = client
        return client

    def state_file(self, state_dir: Path, *, prefix: str = "") -> Path:
        """This target's state file: per endpoint, else per account (STS tells it), and
        per prefix."""
        endpoint = self.target.endpoint_url
        account = None
        if not endpoint:
            account = _call("sts", lambda: self("sts").get_caller_identity()["Account"])
        name = target_name(
            region=self.target.region, account=account, endpoint=endpoint, prefix=prefix
        )
        return state_path(state_dir, name)


def _call(resource: str, call: Callable[[], Any]) -> Any:
    """`call()`, with any AWS or connection error as one `DeployFailed` line."""
    import botocore.exceptions
    import botocore.parsers

    try:
        return call()
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Error")
        message = error.get("Message") or str(exc)
        raise DeployFailed(f"{resource}: {code}: {message}") from None
    except botocore.exceptions.WaiterError as exc:
        raise DeployFailed(f"{resource}: {exc}") from None
    except (botocore.exceptions.BotoCoreError, botocore.parsers.ResponseParserError) as exc:
        raise DeployFailed(f"{resource}: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def observe(clients: Clients, names: Sequence[str]) -> Remote:
    """GetFunction of each remote name: its `$LATEST` CodeSha256, or None if there is none."""
    return Remote(
        {
            name: _call(f"function:{name}", functools.partial(_code_sha, clients, name))
            for name in names
        }
    )


def _code_sha(clients: Clients, name: str) -> str | None:
    import botocore.exceptions

    try:
        answer = clients("lambda").get_function(FunctionName=name)
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    return str(answer["Configuration"]["CodeSha256"])


class Applier:
    """Carries out steps against one target, recording each success in `state`."""

    def __init__(
        self,
        clients: Clients,
        state: DeployState,
        *,
        on_step: Callable[[Step, str], None] | None = None,
    ) -> None:
        self.clients = clients
        self.state = state
        self.on_step = on_step or (lambda step, phase: None)

    def run(self, steps: Sequence[Step]) -> int:
        """Carry out every writing step in order; the number carried out. `on_step` hears
        (step, "start"), the phases within it ("upload", "update", "publish", "alias"), and
        (step, "done")."""
        done = 0
        for step in steps:
            if not step.writes:
                continue
            handler = getattr(self, f"_{step.kind}_{step.action}", None) or getattr(
                self, f"_{step.kind}"
            )
            self.on_step(step, "start")
            _call(step.resource, functools.partial(handler, step))
            self.on_step(step, "done")
            done += 1
        return done

    # -- references ------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """`value` with every `Ref` replaced by the state's output it names."""
        if isinstance(value, Ref):
            return self._output(value)
        if isinstance(value, Mapping):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _output(self, ref: Ref) -> str:
        kind, _, rest = ref.key.partition(":")
        found: Any = None
        if kind == "layer":
            directory, _, sha = rest.rpartition("@")
            found = self.state.layers.get(directory, {}).get(sha)
        elif kind == "version":
            function, _, number = rest.rpartition(":")
            entry = self.state.functions.get(function)
            found = entry.versions.get(number) if entry else None
        elif kind == "function":
            entry = self.state.functions.get(rest)
            found = entry.arn if entry else None
        else:
            found = (self.state.resource(ref.key) or {}).get(ref.output)
        if not found:
            raise DeployFailed(f"{ref.key} is not deployed (deploy it too)")
        return str(found)

    # -- shared resources ------------------------------------------------------------------

    def _layer(self, step: Step) -> None:
        p = step.params
        self.on_step(step, "upload")
        answer = self.clients("lambda").publish_layer_version(
            LayerName=p["LayerName"], Content={"ZipFile": Path(p["zip"]).read_bytes()}
        )
        self.state.layers.setdefault(p["directory"], {})[p["sha256"]] = answer["LayerVersionArn"]
        self.state.save()

    def _queue(self, step: Step) -> None:
        sqs = self.clients("sqs")
        attributes = self.resolve(step.params["Attributes"])
        if "RedrivePolicy" in attributes:
            attributes["RedrivePolicy"] = json.dumps(attributes["RedrivePolicy"])
        known = self.state.resource(step.resource)
        if step.action == "update" and known:
            url = known["url"]
            changed = {k: v for k, v in attributes.items() if k != "FifoQueue"}
            if changed:
                sqs.set_queue_attributes(QueueUrl=url, Attributes=changed)
        else:
            url = sqs.create_queue(QueueName=step.params["QueueName"], Attributes=attributes)[
                "QueueUrl"
            ]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.state.record(step.resource, digest=step.digest, url=url, arn=arn)

    def _queue_delete(self, step: Step) -> None:
        self.clients("sqs").delete_queue(QueueUrl=step.params["url"])
        self.state.forget(step.resource)

    def _stream(self, step: Step) -> None:
        kinesis = self.clients("kinesis")
        name = step.params["StreamName"]
        try:
            kinesis.create_stream(StreamName=name, ShardCount=step.params["ShardCount"])
        except kinesis.exceptions.ResourceInUseException:
            pass  # there already (a state file lost): taken as it is
        kinesis.get_waiter("stream_exists").wait(
            StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        hours = step.params["RetentionPeriodHours"]
        if hours > 24:
            kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=hours)
        arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "StreamARN"
        ]
        self.state.record(step.resource, digest=step.digest, arn=arn, name=name)

    def _stream_delete(self, step: Step) -> None:
        self.clients("kinesis").delete_stream(StreamName=step.params["name"])
        self.state.forget(step.resource)

    def _topic(self, step: Step) -> None:
        arn = self.clients("sns").create_topic(Name=step.params["Name"])["TopicArn"]
        self.state.record(step.resource, digest=step.digest, arn=arn)

    def _topic_delete(self, step: Step) -> None:
        self.clients("sns").delete_topic(TopicArn=step.params["arn"])
        self.state.forget(step.resource)

    # -- a function ------------------------------------------------------------------------

    def _role(self, step: Step) -> None:
        import botocore.exceptions

        iam = self.clients("iam")
        p = step.params
        name = p["RoleName"]
        try:
            arn = iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=json.dumps(p["AssumeRolePolicyDocument"])
            )["Role"]["Arn"]
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "EntityAlreadyExists":
                raise
            arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        iam.attach_role_policy(RoleName=name, PolicyArn=p["ManagedPolicy"])
        if p["Statements"]:
            document = {"Version": "2012-10-17", "Statement": p["Statements"]}
            iam.put_role_policy(
                RoleName=name, PolicyName=ROLE_POLICY, PolicyDocument=json.dumps(document)
            )
        elif step.action == "update":
            self._ignore_missing(
                lambda: iam.delete_role_policy(RoleName=name, PolicyName=ROLE_POLICY)
            )
        self.state.record(
            step.resource, digest=step.digest, function=step.function, arn=arn, name=name
        )

    def _role_delete(self, step: Step) -> None:
        iam = self.clients("iam")
        name = step.params["name"]
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        self._ignore_missing(lambda: iam.delete_role_policy(RoleName=name, PolicyName=ROLE_POLICY))
        self._ignore_missing(lambda: iam.delete_role(RoleName=name))
        self.state.forget(step.resource)

    def _ignore_missing(self, call: Callable[[], Any]) -> None:
        import botocore.exceptions

        try:
            call()
        except botocore.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in ("NoSuchEntity", "ResourceNotFoundException", "NotFound"):
                raise

    def _entry(self, step: Step) -> FunctionState:
        return self.state.function(step.function, step.params["FunctionName"])

    def _function_create(self, step: Step) -> None:
        import botocore.exceptions

        p = step.params
        self.on_step(step, "upload")
        config = self._configuration(p["config"], create=True)
        zipped = Path(p["zip"]).read_bytes()
        deadline = time.monotonic() + ROLE_PROPAGATION_SECONDS
        while True:
            try:
                answer = self.clients("lambda").create_function(
                    FunctionName=p["FunctionName"],
                    Code={"ZipFile": zipped},
                    Architectures=p["Architectures"],
                    Publish=False,
                    **config,
                )
                break
            except botocore.exceptions.ClientError as exc:
                message = exc.response.get("Error", {}).get("Message", "")
                if "cannot be assumed" not in message or time.monotonic() > deadline:
                    raise
                time.sleep(2)  # a new role takes seconds to reach Lambda
        self._wait("function_active_v2", p["FunctionName"])
        entry = self._entry(step)
        entry.arn = answer["FunctionArn"]
        entry.code_sha256 = answer["CodeSha256"]
        entry.config_digest = p["config_digest"]
        entry.versions = {}
        self.state.save()

    def _function_update(self, step: Step) -> None:
        """A function on AWS not deployed from here: taken over as it is."""
        answer = self.clients("lambda").get_function(FunctionName=step.params["FunctionName"])
        entry = self._entry(step)
        entry.arn = answer["Configuration"]["FunctionArn"]
        entry.code_sha256 = answer["Configuration"]["CodeSha256"]
        entry.config_digest = ""
        self.state.save()

    def _function_delete(self, step: Step) -> None:
        self.clients("lambda").delete_function(FunctionName=step.params["FunctionName"])
        self.state.functions.pop(step.function, None)
        self.state.save()

    def _version(self, step: Step) -> None:
        p = step.params
        self._ensure_code(step, p)
        self._ensure_config(step, p)
        self.on_step(step, "publish")
        answer = self.clients("lambda").publish_version(
            FunctionName=p["FunctionName"], CodeSha256=p["sha256"], Description=p["Description"]
        )
        self._wait("published_version_active", p["FunctionName"], answer["Version"])
        self._entry(step).versions[p["local"]] = answer["Version"]
        self.state.save()

    def _code(self, step: Step) -> None:
        self._ensure_code(step, step.params)

    def _config(self, step: Step) -> None:
        self._ensure_config(step, step.params)

    def _ensure_code(self, step: Step, p: Mapping[str, Any]) -> None:
        entry = self._entry(step)
        if entry.code_sha256 == p["sha256"]:
            return
        self.on_step(step, "upload")
        answer = self.clients("lambda").update_function_code(
            FunctionName=p["FunctionName"],
            ZipFile=Path(p["zip"]).read_bytes(),
            Architectures=p["Architectures"],
        )
        self._wait("function_updated_v2", p["FunctionName"])
        entry.code_sha256 = answer["CodeSha256"]
        self.state.save()

    def _ensure_config(self, step: Step, p: Mapping[str, Any]) -> None:
        entry = self._entry(step)
        if entry.config_digest == p["config_digest"]:
            return
        self.on_step(step, "update")
        config = self._configuration(p["config"], create=False)
        self.clients("lambda").update_function_configuration(
            FunctionName=p["FunctionName"], **config
        )
        self._wait("function_updated_v2", p["FunctionName"])
        entry.config_digest = p["config_digest"]
        self.state.save()

    def _configuration(self, config: Mapping[str, Any], *, create: bool) -> dict[str, Any]:
        resolved = self.resolve(config)
        if not resolved.get("DeadLetterConfig"):
            if create:
                resolved.pop("DeadLetterConfig", None)
            else:  # AWS's way of removing one
                resolved["DeadLetterConfig"] = {"TargetArn": ""}
        return dict(resolved)

    def _wait(self, waiter: str, function: str, qualifier: str | None = None) -> None:
        extra = {"Qualifier": qualifier} if qualifier else {}
        self.clients("lambda").get_waiter(waiter).wait(
            FunctionName=function, WaiterConfig={"Delay": 1, "MaxAttempts": 300}, **extra
        )

    def _concurrency(self, step: Step) -> None:
        self.clients("lambda").put_function_concurrency(**step.params)
        self._record(step)

    def _concurrency_delete(self, step: Step) -> None:
        self.clients("lambda").delete_function_concurrency(FunctionName=step.params["name"])
        self.state.forget(step.resource)

    def _async(self, step: Step) -> None:
        self.clients("lambda").put_function_event_invoke_config(**self.resolve(step.params))
        self._record(step)

    def _async_delete(self, step: Step) -> None:
        self._ignore_missing(
            lambda: self.clients("lambda").delete_function_event_invoke_config(
                FunctionName=step.params["name"]
            )
        )
        self.state.forget(step.resource)

    def _record(self, step: Step, **outputs: Any) -> None:
        self.state.record(
            step.resource,
            digest=step.digest,
            function=step.function,
            name=step.params.get("FunctionName", ""),
            **outputs,
        )

    def _alias(self, step: Step) -> None:
        import botocore.exceptions

        self.on_step(step, "alias")
        p = dict(self.resolve(step.params))
        weights = p["RoutingConfig"]["AdditionalVersionWeights"]
        p["RoutingConfig"] = {
            "AdditionalVersionWeights": {
                self._output(Ref(key, "version")): weight for key, weight in weights.items()
            }
        }
        lam = self.clients("lambda")
        try:
            if step.action == "create":
                answer = lam.create_alias(**p)
            else:
                answer = lam.update_alias(**p)
        except botocore.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in CONFLICTS:
                answer = lam.update_alias(**p)
            elif code == "ResourceNotFoundException" and step.action == "update":
                answer = lam.create_alias(**p)
            else:
                raise
        self._record(step, arn=answer["AliasArn"], alias=p["Name"])

    def _alias_delete(self, step: Step) -> None:
        self._ignore_missing(
            lambda: self.clients("lambda").delete_alias(
                FunctionName=step.params["name"], Name=step.params["alias"]
            )
        )
        self.state.forget(step.resource)

    def _url(self, step: Step) -> None:
        import botocore.exceptions

        lam = self.clients("lambda")
        p = step.params
        try:
            if step.action == "create":
                answer = lam.create_function_url_config(**p)
            else:
                answer = lam.update_function_url_config(**p)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in CONFLICTS:
                raise
            answer = lam.update_function_url_config(**p)
        if p["AuthType"] == "NONE" and step.action == "create":
            # public access: since October 2025 a new URL needs InvokeFunction too (through
            # the URL only), beside InvokeFunctionUrl (Lambda's "Control access to function
            # URLs")
            qualified = {"Qualifier": p["Qualifier"]} if "Qualifier" in p else {}
            self._permit(
                step,
                StatementId="FunctionURLAllowPublicAccess",
                Action="lambda:InvokeFunctionUrl",
                Principal="*",
                FunctionUrlAuthType="NONE",
                **qualified,
            )
            self._permit(
                step,
                StatementId="FunctionURLAllowInvokeAction",
                Action="lambda:InvokeFunction",
                Principal="*",
                InvokedViaFunctionUrl=True,
                **qualified,
            )
        self._record(step, url=answer["FunctionUrl"], qualifier=p.get("Qualifier", ""))

    def _url_delete(self, step: Step) -> None:
        extra = {"Qualifier": step.params["qualifier"]} if step.params.get("qualifier") else {}
        self._ignore_missing(
            lambda: self.clients("lambda").delete_function_url_config(
                FunctionName=step.params["name"], **extra
            )
        )
        self.state.forget(step.resource)

    def _permit(self, step: Step, **permission: Any) -> None:
        """AddPermission, once: a statement already there (a resumed deploy) is kept."""
        import botocore.exceptions

        try:
            self.clients("lambda").add_permission(
                FunctionName=step.params["FunctionName"], **permission
            )
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in CONFLICTS:
                raise

    def _mapping(self, step: Step) -> None:
        lam = self.clients("lambda")
        p = self.resolve(step.params)
        known = self.state.resource(step.resource)
        if step.action == "update" and known:
            fixed = ("EventSourceArn", "StartingPosition", "StartingPositionTimestamp")
            changed = {k: v for k, v in p.items() if k not in fixed}
            answer = lam.update_event_source_mapping(UUID=known["uuid"], **changed)
        else:
            answer = self._create_mapping(p)
        self._record(step, uuid=answer["UUID"])

    def _create_mapping(self, p: Mapping[str, Any]) -> Any:
        """CreateEventSourceMapping, unless AWS already has one for this function and source
        (a state file lost, a deploy stopped before recording it): that one is updated."""
        lam = self.clients("lambda")
        found = lam.list_event_source_mappings(
            FunctionName=p["FunctionName"], EventSourceArn=p["EventSourceArn"]
        )["EventSourceMappings"]
        if not found:
            return lam.create_event_source_mapping(**p)
        fixed = ("EventSourceArn", "StartingPosition", "StartingPositionTimestamp")
        changed = {k: v for k, v in p.items() if k not in fixed}
        return lam.update_event_source_mapping(UUID=found[0]["UUID"], **changed)

    def _mapping_delete(self, step: Step) -> None:
        self._ignore_missing(
            lambda: self.clients("lambda").delete_event_source_mapping(UUID=step.params["uuid"])
        )
        self.state.forget(step.resource)

    def _subscription(self, step: Step) -> None:
        sns = self.clients("sns")
        p = self.resolve(step.params)
        known = self.state.resource(step.resource)
        if step.action == "update" and known:
            arn = known["arn"]
            sns.set_subscription_attributes(
                SubscriptionArn=arn,
                AttributeName="FilterPolicy",
                AttributeValue=p["FilterPolicy"] or "",
            )
        else:
            attributes = {"FilterPolicy": p["FilterPolicy"]} if p["FilterPolicy"] else {}
            self._permit(
                step,
                StatementId=f"sns-{step.digest}",
                Action="lambda:InvokeFunction",
                Principal="sns.amazonaws.com",
                SourceArn=p["Topic"],
            )
            arn = sns.subscribe(
                TopicArn=p["Topic"],
                Protocol="lambda",
                Endpoint=p["Function"],
                Attributes=attributes,
                ReturnSubscriptionArn=True,
            )["SubscriptionArn"]
        self._record(step, arn=arn)

    def _subscription_delete(self, step: Step) -> None:
        self._ignore_missing(
            lambda: self.clients("sns").unsubscribe(SubscriptionArn=step.params["arn"])
        )
        self.state.forget(step.resource)

    def _schedule(self, step: Step) -> None:
        events = self.clients("events")
        p = self.resolve(step.params)
        arn = events.put_rule(
            Name=p["Name"], ScheduleExpression=p["ScheduleExpression"], State=p["State"]
        )["RuleArn"]
        target: dict[str, Any] = {"Id": "lambdactl", "Arn": p["Function"]}
        if "Input" in p:
            target["Input"] = p["Input"]
        events.put_targets(Rule=p["Name"], Targets=[target])
        self._permit(
            step,
            StatementId=f"events-{p['Name']}"[:100],
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=arn,
        )
        self._record(step, arn=arn, rule=p["Name"])

    def _schedule_delete(self, step: Step) -> None:
        events = self.clients("events")
        rule = step.params["rule"]
        self._ignore_missing(lambda: events.remove_targets(Rule=rule, Ids=["lambdactl"]))
        self._ignore_missing(lambda: events.delete_rule(Name=rule))
        self.state.forget(step.resource)
