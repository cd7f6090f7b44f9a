#!/usr/bin/env python3
"""Creates, on the LocalStack-compatible endpoint, what a deployed LiliumShare stack exposes to the
ops command: an ECS cluster and relay service, a NAT instance, and a CloudFormation stack whose
outputs name them. Made with boto3 (not our code), so the test checks our clients against it.
usage: make_ops_fixture.py ENDPOINT NAME  -> prints {"stack": ..., "cluster": ..., "service": ..., "nat": ...}
       make_ops_fixture.py ENDPOINT NAME --set-mode MODE  -> updates the stack's Mode output (what a deploy of MODE does to it)"""
import json
import sys

import boto3

endpoint, name = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
ecs, cfn, ec2 = (boto3.client(s, **kw) for s in ("ecs", "cloudformation", "ec2"))
if len(sys.argv) > 4 and sys.argv[3] == "--set-mode":
    body = cfn.get_template(StackName=name)["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else body
    template["Outputs"]["Mode"] = {"Value": sys.argv[4]}
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(template))
    sys.exit(0)
cluster, service = f"{name}-cluster", f"{name}-relay"
ecs.create_cluster(clusterName=cluster)
ecs.register_task_definition(family=f"{name}-relay", containerDefinitions=[{"name": "relay", "image": "relay", "memory": 512}])
ecs.create_service(cluster=cluster, serviceName=service, taskDefinition=f"{name}-relay", desiredCount=1)
nat = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
template = {
    "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
    "Outputs": {"ClusterName": {"Value": cluster}, "ServiceName": {"Value": service}, "NatInstanceId": {"Value": nat}, "Mode": {"Value": "active"}},
}
cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
print(json.dumps({"stack": name, "cluster": cluster, "service": service, "nat": nat}))
