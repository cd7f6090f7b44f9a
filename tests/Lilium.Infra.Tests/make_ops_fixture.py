#!/usr/bin/env python3
"""Creates, on the LocalStack-compatible endpoint, what a deployed LiliumShare stack exposes to the
ops command: an ECS cluster and relay service, a NAT instance, and a CloudFormation stack whose
outputs name them. Made with boto3 (not our code), so the test checks our clients against it.
usage: make_ops_fixture.py ENDPOINT NAME  -> prints {"stack": ..., "cluster": ..., "service": ..., "nat": ...}"""
import json
import sys

import boto3

endpoint, name = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
ecs, cfn, ec2 = (boto3.client(s, **kw) for s in ("ecs", "cloudformation", "ec2"))
cluster, service = f"{name}-cluster", f"{name}-relay"
ecs.create_cluster(clusterName=cluster)
ecs.register_task_definition(family=f"{name}-relay", containerDefinitions=[{"name": "relay", "image": "relay", "memory": 512}])
ecs.create_service(cluster=cluster, serviceName=service, taskDefinition=f"{name}-relay", desiredCount=1)
nat = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
template = {
    "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
    "Outputs": {"ClusterName": {"Value": cluster}, "ServiceName": {"Value": service}, "NatInstanceId": {"Value": nat}},
}
cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
print(json.dumps({"stack": name, "cluster": cluster, "service": service, "nat": nat}))
