#!/usr/bin/env python3
"""moto_server with the CloudFormation models that LiliumShare's stack needs and moto 5 lacks.

moto implements the APIs of API Gateway v2, Secrets Manager, RDS clusters and CloudWatch, but its CloudFormation
has no resource models for AWS::ApiGatewayV2::*, AWS::SecretsManager::Secret / SecretTargetAttachment,
AWS::RDS::DBCluster, AWS::CloudWatch::Alarm and AWS::EC2::SecurityGroupEgress: it skips them, every Ref to them
resolves to nothing, and the IAM policies naming them are refused. This launcher registers models for those types
(moto discovers CloudFormation models as direct subclasses of CloudFormationModel) that create the real resources in
moto's own backends where moto has them (secrets with generated values, API Gateway v2 APIs, Aurora clusters,
alarms), so `cdk deploy` of the whole stack runs and what it made can be inspected with the AWS APIs.

Usage: moto_local.py [-H HOST] [-p PORT]   (same as moto_server)
Used by scripts/aws-endpoint.sh; documented in docs/infra.md ("Local deploy").
"""
import json
import secrets
import string
import sys
import uuid
from typing import Any

from moto.core.common_models import CloudFormationModel


def _suffix() -> str:
    return uuid.uuid4().hex[:12]


def _password(spec: dict) -> str:
    excluded = set(spec.get("ExcludeCharacters", ""))
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    alphabet = "".join(c for c in alphabet if c not in excluded)
    return "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))


class _Stub:
    """Shared behaviour: keep the properties, answer Ref with an id and GetAtt from a table."""

    def __init__(self, physical_id: str, properties: dict, attributes: dict | None = None):
        self.physical_resource_id = physical_id
        self.properties = properties
        self.attributes = attributes or {}

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name in self.attributes:
            return self.attributes[attribute_name]
        return self.physical_resource_id

    def is_created(self) -> bool:
        return True

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass


class SecretModel(_Stub, CloudFormationModel):
    """AWS::SecretsManager::Secret: a real moto secret; GenerateSecretString is honoured."""

    __module__ = "moto.secretsmanager.lilium"  # moto's model registry keys models by the module's second part

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        from moto.secretsmanager.models import secretsmanager_backends

        props = cloudformation_json.get("Properties", {})
        value = props.get("SecretString")
        if value is None and (spec := props.get("GenerateSecretString")) is not None:
            if "SecretStringTemplate" in spec:
                document = json.loads(spec["SecretStringTemplate"])
                document[spec.get("GenerateStringKey", "password")] = _password(spec)
                value = json.dumps(document)
            else:
                value = _password(spec)
        name = props.get("Name") or f"{resource_name}-{_suffix()}"
        backend = secretsmanager_backends[account_id][region_name]
        created = json.loads(backend.create_secret(
            name=name, secret_string=value or "", secret_binary=None, description=props.get("Description"),
            tags=props.get("Tags"), kms_key_id=props.get("KmsKeyId"), client_request_token=None,
            replica_regions=[], force_overwrite=False))
        return cls(created["ARN"], props, {"Id": created["ARN"]})

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass  # moto deletes by physical id below

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.secretsmanager.models import secretsmanager_backends

        try:
            secretsmanager_backends[account_id][region_name].delete_secret(self.physical_resource_id, None, True)
        except Exception:  # already gone
            pass


class SecretTargetAttachmentModel(_Stub, CloudFormationModel):
    """AWS::SecretsManager::SecretTargetAttachment: adds engine/host/port/dbname to the secret, as AWS does."""

    __module__ = "moto.secretsmanager.lilium"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::SecretTargetAttachment"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        from moto.rds.models import rds_backends
        from moto.secretsmanager.models import secretsmanager_backends

        props = cloudformation_json.get("Properties", {})
        secret_id = props.get("SecretId")
        backend = secretsmanager_backends[account_id][region_name]
        try:
            document = json.loads(backend.get_secret_value(secret_id, None, None)["SecretString"])
            cluster = rds_backends[account_id][region_name].clusters.get(props.get("TargetId"))
            document.update({
                "engine": "postgres",
                "host": getattr(cluster, "endpoint", "localhost") if cluster else "localhost",
                "port": int(getattr(cluster, "port", 5432) or 5432) if cluster else 5432,
                "dbname": getattr(cluster, "database_name", None) or "postgres",
                "dbClusterIdentifier": props.get("TargetId"),
            })
            backend.put_secret_value(secret_id, json.dumps(document), None, None, ["AWSCURRENT"])
        except Exception as error:  # keep the deploy going; the attachment is informational here
            print(f"moto_local: SecretTargetAttachment could not update {secret_id}: {error}", file=sys.stderr)
        return cls(secret_id, props)


class DbClusterModel(_Stub, CloudFormationModel):
    """AWS::RDS::DBCluster: a real moto Aurora cluster (so the cluster's instances find it)."""

    __module__ = "moto.rds.lilium"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DBClusterIdentifier"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::RDS::DBCluster"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        from moto.rds.models import rds_backends

        props = cloudformation_json.get("Properties", {})
        identifier = (props.get("DBClusterIdentifier") or f"{resource_name}-{_suffix()}").lower()
        password = props.get("MasterUserPassword")
        if not isinstance(password, str) or password.startswith("{{resolve:"):
            password = _password({"PasswordLength": 30, "ExcludePunctuation": True})
        cluster = rds_backends[account_id][region_name].create_db_cluster({
            "db_cluster_identifier": identifier,
            "engine": props.get("Engine", "aurora-postgresql"),
            "engine_version": props.get("EngineVersion") or "16.6",
            "master_username": props.get("MasterUsername", "postgres"),
            "master_user_password": password,
            "database_name": props.get("DatabaseName"),
            "port": int(props.get("Port", 5432)),
            "db_subnet_group_name": props.get("DBSubnetGroupName"),
            "vpc_security_group_ids": props.get("VpcSecurityGroupIds") or [],
            "deletion_protection": False,
            "storage_encrypted": bool(props.get("StorageEncrypted", False)),
            "tags": props.get("Tags") or [],
        })
        return cls(identifier, props, {
            "Endpoint.Address": cluster.endpoint, "Endpoint.Port": str(cluster.port),
            "ReadEndpoint.Address": cluster.reader_endpoint, "DBClusterArn": cluster.db_cluster_arn,
            "ClusterResourceId": getattr(cluster, "resource_id", identifier),
        })

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.rds.models import rds_backends

        backend = rds_backends[account_id][region_name]
        for instance in [i for i in backend.databases.values() if getattr(i, "db_cluster_identifier", None) == self.physical_resource_id]:
            backend.delete_db_instance(instance.db_instance_identifier)
        try:
            backend.delete_db_cluster(self.physical_resource_id)
        except Exception:
            pass


class HttpOrWebSocketApiModel(_Stub, CloudFormationModel):
    """AWS::ApiGatewayV2::Api: a real moto API (its id and execute-api endpoint)."""

    __module__ = "moto.apigatewayv2.lilium"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Api"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        from moto.apigatewayv2.models import apigatewayv2_backends

        props = cloudformation_json.get("Properties", {})
        protocol = props.get("ProtocolType", "HTTP")
        api = apigatewayv2_backends[account_id][region_name].create_api(
            api_key_selection_expression=props.get("ApiKeySelectionExpression"), cors_configuration=props.get("CorsConfiguration"),
            description=props.get("Description"), disable_schema_validation=props.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=props.get("DisableExecuteApiEndpoint"), name=props.get("Name") or resource_name,
            protocol_type=protocol, route_selection_expression=props.get("RouteSelectionExpression"),
            tags=props.get("Tags") or {}, version=props.get("Version"))
        endpoint = api.api_endpoint.replace("https://", "wss://") if protocol == "WEBSOCKET" else api.api_endpoint
        return cls(api.api_id, props, {"ApiEndpoint": endpoint, "ApiId": api.api_id})

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.apigatewayv2.models import apigatewayv2_backends

        apigatewayv2_backends[account_id][region_name].delete_api(self.physical_resource_id)


def _plain(type_name: str, prefix: str):
    """A model that only records the resource (routes, stages, integrations, alarms, egress rules)."""

    class Plain(_Stub, CloudFormationModel):
        __module__ = "moto.cloudformation.lilium"

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @staticmethod
        def cloudformation_type() -> str:
            return type_name

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            props = cloudformation_json.get("Properties", {})
            physical = props.get("StageName") or props.get("AlarmName") or f"{prefix}{_suffix()}"
            return cls(physical, props)

    Plain.__name__ = Plain.__qualname__ = type_name.replace("::", "")
    return Plain


ApiGatewayV2Route = _plain("AWS::ApiGatewayV2::Route", "r-")
ApiGatewayV2Integration = _plain("AWS::ApiGatewayV2::Integration", "i-")
ApiGatewayV2Stage = _plain("AWS::ApiGatewayV2::Stage", "s-")
CloudWatchAlarm = _plain("AWS::CloudWatch::Alarm", "alarm-")
SecurityGroupEgress = _plain("AWS::EC2::SecurityGroupEgress", "sgr-")
CloudFrontOriginAccessControl = _plain("AWS::CloudFront::OriginAccessControl", "E")
CloudFrontResponseHeadersPolicy = _plain("AWS::CloudFront::ResponseHeadersPolicy", "rhp-")
S3BucketPolicy = _plain("AWS::S3::BucketPolicy", "bp-")


class CloudFrontFunctionModel(_Stub, CloudFormationModel):
    """AWS::CloudFront::Function: answers FunctionARN (the distribution's function associations name it)."""

    __module__ = "moto.cloudfront.lilium"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::Function"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties", {})
        arn = f"arn:aws:cloudfront::{account_id}:function/{props.get('Name') or resource_name}"
        return cls(arn, props, {"FunctionARN": arn, "FunctionMetadata.FunctionARN": arn, "Stage": "LIVE"})


class CloudFrontDistributionModel(_Stub, CloudFormationModel):
    """AWS::CloudFront::Distribution: an id and a *.cloudfront.net domain (the stack's AppUrl). moto's CloudFront API
    takes a differently shaped configuration; nothing here serves traffic, the template's behaviours are tested
    by assertions on the template."""

    __module__ = "moto.cloudfront.lilium"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::Distribution"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties", {})
        distribution_id = "E" + uuid.uuid4().hex[:13].upper()
        return cls(distribution_id, props, {"Id": distribution_id, "DomainName": f"d{uuid.uuid4().hex[:13]}.cloudfront.net"})


class BucketDeploymentModel(_Stub, CloudFormationModel):
    """Custom::CDKBucketDeployment without its function (moto would run it in Docker): the source zips are read from
    the asset bucket, their deploy-time markers (Source.jsonData's tokens) substituted, and the files written to the
    destination bucket, as the function does."""

    __module__ = "moto.s3.lilium"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "Custom::CDKBucketDeployment"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        import io
        import zipfile

        from moto.s3.models import s3_backends

        props = cloudformation_json.get("Properties", {})
        s3 = s3_backends[account_id]["aws"]
        destination = props["DestinationBucketName"]
        prefix = props.get("DestinationBucketKeyPrefix", "")
        markers_list = props.get("SourceMarkers") or [{} for _ in props.get("SourceObjectKeys", [])]
        for bucket, key, markers in zip(props.get("SourceBucketNames", []), props.get("SourceObjectKeys", []), markers_list):
            archive = zipfile.ZipFile(io.BytesIO(s3.get_object(bucket, key).value))
            for name in archive.namelist():
                if name.endswith("/"):
                    continue
                data = archive.read(name)
                for marker, value in (markers or {}).items():
                    data = data.replace(marker.encode(), str(value).encode())
                s3.put_object(destination, prefix + name, data)
        return cls(f"aws.cdk.s3deployment.{_suffix()}", props, {"DestinationBucketArn": f"arn:aws:s3:::{destination}"})


class AutoDeleteObjectsModel(_Stub, CloudFormationModel):
    """Custom::S3AutoDeleteObjects without its function: empties the bucket when the stack goes, so the bucket can."""

    __module__ = "moto.s3.lilium"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "Custom::S3AutoDeleteObjects"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties", {})
        return cls(f"auto-delete-{_suffix()}", props, {"BucketName": props.get("BucketName")})

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.s3.models import s3_backends

        s3 = s3_backends[account_id]["aws"]
        bucket = self.properties.get("BucketName")
        try:
            for key in list(s3.get_bucket(bucket).keys.keys()):
                s3.delete_object(bucket, key)
        except Exception as error:  # already gone
            print(f"moto_local: S3AutoDeleteObjects could not empty {bucket}: {error}", file=sys.stderr)


def _custom_resources_without_functions() -> None:
    """moto runs every Custom:: resource's function in Docker (absent here); the CDK's own S3 custom resources are
    modelled above instead."""
    import moto.cloudformation.parsing as parsing

    original = parsing.resource_class_from_type
    models = {m.cloudformation_type(): m for m in (BucketDeploymentModel, AutoDeleteObjectsModel)}

    def resource_class_from_type(resource_type):
        return models.get(resource_type) or original(resource_type)

    parsing.resource_class_from_type = resource_class_from_type

def _lowercase_generated_ecr_names() -> None:
    """CloudFormation generates lower-case names for ECR repositories; moto uses the mixed-case stack/logical id and
    then refuses its own name ('must satisfy regular expression'). Lower-case it, as AWS does."""
    from moto.ecr.models import Repository

    original = Repository.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        return original(cls, resource_name.lower(), cloudformation_json, account_id, region_name, **kwargs)

    Repository.create_from_cloudformation_json = classmethod(create)


def _ecr_empty_on_delete() -> None:
    """AWS::ECR::Repository's EmptyOnDelete: CloudFormation deletes the images with the repository. moto ignores the
    property and refuses to delete a repository holding images, so a destroy after a push failed here and not on AWS."""
    from moto.ecr.models import Repository, ecr_backends

    original = Repository.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        repository = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        empty = (cloudformation_json.get("Properties") or {}).get("EmptyOnDelete")
        repository.lilium_empty_on_delete = empty is True or str(empty).lower() == "true"
        return repository

    def delete(self, account_id, region_name):
        ecr_backends[account_id][region_name].delete_repository(self.name, force=getattr(self, "lilium_empty_on_delete", False))

    Repository.create_from_cloudformation_json = classmethod(create)
    Repository.delete = delete


def _target_group_attributes() -> None:
    """moto's ELBv2 target group has no Fn::GetAtt support; the relay's unhealthy-host alarm needs TargetGroupFullName."""
    from moto.elbv2.models import FakeTargetGroup

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        values = {
            "TargetGroupArn": self.arn,
            "TargetGroupName": self.name,
            "TargetGroupFullName": self.arn.split(":", 5)[-1],  # targetgroup/<name>/<id>
            "LoadBalancerArns": list(getattr(self, "load_balancer_arns", [])),
        }
        if attribute_name not in values:
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            raise UnformattedGetAttTemplateException()
        return values[attribute_name]

    if not hasattr(FakeTargetGroup, "get_cfn_attribute"):
        FakeTargetGroup.get_cfn_attribute = get_cfn_attribute


def _ssm_parameter_attributes() -> None:
    """The bootstrap stack's outputs read `Fn::GetAtt [CdkBootstrapVersion, Value]`; moto's SSM parameter has no
    attributes at all."""
    from moto.ssm.models import Parameter

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Value":
            return self.value
        if attribute_name == "Type":
            return self.type
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    if not hasattr(Parameter, "get_cfn_attribute"):
        Parameter.get_cfn_attribute = get_cfn_attribute


def _change_set_outputs_and_failures() -> None:
    """moto executes a change set (how `cdk deploy` creates stacks) but keeps the stack's outputs from the empty
    template it had before, resolves a change set by name only, and marks the stack complete even when creating a resource raised. Rebuild the outputs
    from the executed template, and report a failure as a failed (rolled back) stack."""
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.execute_change_set

    def execute(self, change_set_name, stack_name=None):
        # A name alone is ambiguous (cdk names every change set "cdk-deploy-change-set"): match the stack too.
        change_set = self.change_sets.get(change_set_name) or next(
            (c for c in reversed(list(self.change_sets.values()))
             if c.change_set_name == change_set_name and stack_name in (None, c.stack_name, c.stack_id)), None)
        try:
            original(self, change_set.change_set_id if change_set is not None else change_set_name, stack_name)
        except Exception as error:
            if change_set is not None and change_set.stack_id in self.stacks:
                stack = self.stacks[change_set.stack_id]
                kind = change_set.change_set_type
                stack._add_stack_event(f"{kind}_FAILED", resource_status_reason=str(error)[:1000])
                stack.status = "ROLLBACK_COMPLETE" if kind == "CREATE" else "UPDATE_ROLLBACK_COMPLETE"
            raise
        if change_set is not None and change_set.stack_id in self.stacks:
            stack = self.stacks[change_set.stack_id]
            stack._parse_template()
            stack.output_map = stack._create_output_map()

    CloudFormationBackend.execute_change_set = execute


def _stack_events_not_found_message() -> None:
    """CloudFormation words a missing stack differently per action: DescribeStackEvents says "Stack [NAME] does not
    exist", and cdk's activity monitor recognises only that form while it waits for a deleted stack to go. moto uses
    DescribeStacks' wording everywhere, which makes every `cdk destroy` fail after the stack is gone."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.describe_stack_events

    def describe_stack_events(self, stack_name):
        try:
            return original(self, stack_name)
        except ValidationError:
            raise ValidationError(stack_name, message=f"Stack [{stack_name}] does not exist") from None

    CloudFormationBackend.describe_stack_events = describe_stack_events


def _deleting_what_is_gone_succeeds() -> None:
    """CloudFormation treats "not found" while deleting a resource as deleted. moto's update removes the resources a
    new template drops in an arbitrary order and retries failures; a security group deleted along with the load
    balancer that a mode change removes (docs/infra.md, "Cost modes") then fails every retry with
    InvalidGroup.NotFound and the update rolls back."""
    from moto.cloudformation.parsing import ResourceMap

    original = ResourceMap._delete_resource

    def _delete_resource(self, parsed_resource, resource_json):
        try:
            original(self, parsed_resource, resource_json)
        except Exception as error:
            code = getattr(error, "error_type", "") or getattr(error, "code", "") or ""
            if "NotFound" in str(code) or "does not exist" in str(error):
                return
            raise

    ResourceMap._delete_resource = _delete_resource


def _updates_keep_what_cannot_be_updated() -> None:
    """moto's stack update replaces a modified resource by what its model's update returns, and a model without one
    (AWS::EC2::Instance: the NAT instance, whose security group or tags change between modes) returns None: the stack
    lost the instance (no output, no status) and the next mode that removes it failed on None ("'NoneType' object has
    no attribute 'split'"), rolling the update back. The resource stays as it was instead (its properties are not
    changed; what the template asserts is tested on the template)."""
    import moto.cloudformation.parsing as parsing

    original = parsing.parse_and_update_resource

    def parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name):
        updated = original(logical_id, resource_json, resources_map, account_id, region_name)
        return updated if updated is not None else resources_map[logical_id]

    parsing.parse_and_update_resource = parse_and_update_resource


def _previous_ssm_parameter_values() -> None:
    """`cdk deploy` of an existing stack passes BootstrapVersion (an SSM-typed parameter) with UsePreviousValue, and
    moto then looks up the previous *value* ("21") as a parameter name and fails every update with AttributeError.
    A value that names no parameter is taken as the value (what CloudFormation resolved before)."""
    from moto.cloudformation.parsing import ResourceMap
    from moto.ssm.models import ssm_backends

    original = ResourceMap.parse_ssm_parameter

    def parse_ssm_parameter(self, value, value_type):
        if ssm_backends[self._account_id][self._region_name].get_parameter(value) is None:
            return value.split(",") if value_type.find("List") > 0 else value
        return original(self, value, value_type)

    ResourceMap.parse_ssm_parameter = parse_ssm_parameter


def _route_tables_deleted_with_their_stack() -> None:
    """moto's RouteTable model creates but never deletes: its stack's VPC then refuses to go (DependencyViolation)."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.route_tables import RouteTable

    def delete(self, account_id, region_name):
        backend = ec2_backends[account_id][region_name]
        if self.id in backend.route_tables:
            backend.delete_route_table(self.id)

    if not hasattr(RouteTable, "delete"):
        RouteTable.delete = delete


def _ecs_deleted_with_their_stack() -> None:
    """moto's ECS Cluster and Service models have no delete: a destroyed stack left them ACTIVE. Deleting marks them
    INACTIVE, as ECS does."""
    from moto.ecs.models import Cluster, Service, ecs_backends

    def delete_service(self, account_id, region_name):
        ecs_backends[account_id][region_name].delete_service(self.cluster_name, self.name, force=True)

    def delete_cluster(self, account_id, region_name):
        ecs_backends[account_id][region_name].delete_cluster(self.name)

    if not hasattr(Service, "delete"):
        Service.delete = delete_service
    if not hasattr(Cluster, "delete"):
        Cluster.delete = delete_cluster


def _serialized_dynamodb_transactions() -> None:
    """Two changes to moto's TransactWriteItems, which deep-copies every table it touches to roll back:

    - One transaction at a time, as DynamoDB's own isolation promises: the copies were taken while other requests'
      threads wrote to the tables, and concurrent $connects failed with "dictionary changed size during iteration"
      (500s the SDK retried).
    - The rollback snapshot is the items the transaction names, not whole tables. A table copy per transaction made
      1,000 $connects cost O(n^2) (110 s for the signaling benchmark's connect phase) and grew moto to ~2.7 GB,
      which this VM's memory monitor (kdamond) then scanned in the middle of the benchmark (docs/signaling.md)."""
    import copy
    import threading

    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    class _TablesNotCopied:
        """moto's own table copy becomes a no-op (its rollback then re-assigns the same table); items are
        snapshotted and restored below instead."""

        def __getattr__(self, name):
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = _TablesNotCopied()
    original = DynamoDBBackend.transact_write_items
    lock = threading.Lock()

    def _keys(self, transact_items):
        for item in transact_items:
            try:
                op_type, op = next(iter(item.items()))
                table = self.tables.get(op.get("TableName"))
                if table is None:
                    continue
                if op_type == "Put":
                    attrs = op["Item"]
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]
                hash_key, range_key = self.get_keys_value(table, key)
            except Exception:  # malformed: moto's own validation answers it
                continue
            yield table, hash_key, range_key

    def transact_write_items(self, transact_items):
        with lock:
            before = [(table, h, r, copy.deepcopy(table.get_item(h, r))) for table, h, r in _keys(self, transact_items)]
            try:
                return original(self, transact_items)
            except Exception:
                for table, h, r, item in reversed(before):
                    if r is not None:
                        rows = table.items.setdefault(h, {})
                        if item is None:
                            rows.pop(r, None)
                        else:
                            rows[r] = item
                    elif item is None:
                        table.items.pop(h, None)
                    else:
                        table.items[h] = item
                raise

    DynamoDBBackend.transact_write_items = transact_write_items


for _patch in (_previous_ssm_parameter_values, _updates_keep_what_cannot_be_updated, _deleting_what_is_gone_succeeds, _custom_resources_without_functions, _serialized_dynamodb_transactions, _lowercase_generated_ecr_names, _ecr_empty_on_delete, _target_group_attributes, _ecs_deleted_with_their_stack, _route_tables_deleted_with_their_stack, _stack_events_not_found_message, _ssm_parameter_attributes, _change_set_outputs_and_failures):
    try:
        _patch()
    except (ImportError, AttributeError) as _error:  # another moto version: serve what it has, say what is missing
        print(f"moto_local: {_patch.__name__} not applied ({_error!r}); written for moto 5.2.1", file=sys.stderr)

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
