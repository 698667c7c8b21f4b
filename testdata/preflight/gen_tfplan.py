# Generates the Terraform plan fixtures (terraform show -json format 1.2) from one description,
# so the two plans differ only in the VPC endpoints. Run from this directory: python3 gen_tfplan.py
import json, copy
REGION="ap-northeast-1"; ACCT="123456789012"
IMAGE=f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/my-app:v1.0.1"
def ref(*r): return {"references": list(r)}
def const(v): return {"constant_value": v}
cds=[{"name":"app","image":IMAGE,"essential":True,"cpu":0,"portMappings":[{"containerPort":8080,"hostPort":8080,"protocol":"tcp"}],
      "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/my-app","awslogs-region":REGION,"awslogs-stream-prefix":"ecs"}},
      "environment":[],"mountPoints":[],"volumesFrom":[],"systemControls":[]}]
trust=json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]})
def plan(endpoints):
    R=[]  # (address,type,name,values,after_unknown,expressions)
    def add(t,n,values,unknown,expr): R.append((f"{t}.{n}",t,n,values,unknown,expr))
    add("aws_vpc","main",{"cidr_block":"10.0.0.0/16","enable_dns_support":True,"enable_dns_hostnames":True,"instance_tenancy":"default","tags":{"Name":"my-app"}},
        {"id":True,"arn":True,"default_route_table_id":True,"default_network_acl_id":True,"default_security_group_id":True,"main_route_table_id":True,"owner_id":True},
        {"cidr_block":const("10.0.0.0/16"),"enable_dns_support":const(True),"enable_dns_hostnames":const(True)})
    for n,az,cidr in [("private_a","ap-northeast-1a","10.0.1.0/24"),("private_c","ap-northeast-1c","10.0.2.0/24")]:
        add("aws_subnet",n,{"cidr_block":cidr,"availability_zone":az,"map_public_ip_on_launch":False},{"id":True,"arn":True,"vpc_id":True,"owner_id":True,"availability_zone_id":True},
            {"cidr_block":const(cidr),"availability_zone":const(az),"vpc_id":ref("aws_vpc.main.id","aws_vpc.main")})
    add("aws_route_table","private",{"route":[]},{"id":True,"arn":True,"vpc_id":True,"owner_id":True,"route":[]},{"vpc_id":ref("aws_vpc.main.id","aws_vpc.main")})
    for n in ["private_a","private_c"]:
        add("aws_route_table_association",n,{"gateway_id":None},{"id":True,"subnet_id":True,"route_table_id":True},
            {"subnet_id":ref(f"aws_subnet.{n}.id",f"aws_subnet.{n}"),"route_table_id":ref("aws_route_table.private.id","aws_route_table.private")})
    add("aws_security_group","task",{"name":"my-app-task","description":"my-app tasks","egress":[{"cidr_blocks":["0.0.0.0/0"],"description":"","from_port":443,"to_port":443,"protocol":"tcp","ipv6_cidr_blocks":[],"prefix_list_ids":[],"security_groups":[],"self":False}],"ingress":[],"revoke_rules_on_delete":False},
        {"id":True,"arn":True,"vpc_id":True,"owner_id":True,"egress":[{"cidr_blocks":[False],"ipv6_cidr_blocks":[],"prefix_list_ids":[],"security_groups":[]}],"ingress":[]},
        {"name":const("my-app-task"),"vpc_id":ref("aws_vpc.main.id","aws_vpc.main"),"egress":const([{"cidr_blocks":["0.0.0.0/0"],"from_port":443,"to_port":443,"protocol":"tcp"}])})
    if endpoints:
        add("aws_security_group","vpce",{"name":"my-app-vpce","description":"interface endpoints","egress":[],"ingress":[{"cidr_blocks":["10.0.0.0/16"],"description":"","from_port":443,"to_port":443,"protocol":"tcp","ipv6_cidr_blocks":[],"prefix_list_ids":[],"security_groups":[],"self":False}],"revoke_rules_on_delete":False},
            {"id":True,"arn":True,"vpc_id":True,"owner_id":True,"egress":[],"ingress":[{"cidr_blocks":[False],"ipv6_cidr_blocks":[],"prefix_list_ids":[],"security_groups":[]}]},
            {"name":const("my-app-vpce"),"vpc_id":ref("aws_vpc.main.id","aws_vpc.main")})
        for svc in ["ecr.api","ecr.dkr","logs"]:
            n=svc.replace(".","_")
            add("aws_vpc_endpoint",n,{"service_name":f"com.amazonaws.{REGION}.{svc}","vpc_endpoint_type":"Interface","private_dns_enabled":True,"auto_accept":None},
                {"id":True,"arn":True,"vpc_id":True,"subnet_ids":True,"security_group_ids":True,"policy":True,"dns_entry":True,"network_interface_ids":True,"owner_id":True,"state":True,"route_table_ids":True,"cidr_blocks":True,"prefix_list_id":True},
                {"service_name":const(f"com.amazonaws.{REGION}.{svc}"),"vpc_endpoint_type":const("Interface"),"private_dns_enabled":const(True),"vpc_id":ref("aws_vpc.main.id","aws_vpc.main"),
                 "subnet_ids":ref("aws_subnet.private_a.id","aws_subnet.private_a","aws_subnet.private_c.id","aws_subnet.private_c"),"security_group_ids":ref("aws_security_group.vpce.id","aws_security_group.vpce")})
        add("aws_vpc_endpoint","s3",{"service_name":f"com.amazonaws.{REGION}.s3","vpc_endpoint_type":"Gateway","auto_accept":None},
            {"id":True,"arn":True,"vpc_id":True,"route_table_ids":True,"policy":True,"private_dns_enabled":True,"subnet_ids":True,"security_group_ids":True,"owner_id":True,"state":True,"prefix_list_id":True,"cidr_blocks":True,"dns_entry":True,"network_interface_ids":True},
            {"service_name":const(f"com.amazonaws.{REGION}.s3"),"vpc_endpoint_type":const("Gateway"),"vpc_id":ref("aws_vpc.main.id","aws_vpc.main"),"route_table_ids":ref("aws_route_table.private.id","aws_route_table.private")})
        # The task SG must reach the S3 prefix list too; the rule above is 0.0.0.0/0:443, which covers it.
    add("aws_iam_role","execution",{"name":"my-app-execution","path":"/","assume_role_policy":trust,"max_session_duration":3600,"force_detach_policies":False},
        {"id":True,"arn":True,"unique_id":True,"create_date":True,"managed_policy_arns":True,"inline_policy":True},
        {"name":const("my-app-execution"),"assume_role_policy":{}})
    add("aws_iam_role_policy_attachment","execution",{"policy_arn":"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy","role":"my-app-execution"},{"id":True},
        {"policy_arn":const("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"),"role":ref("aws_iam_role.execution.name","aws_iam_role.execution")})
    add("aws_ecs_cluster","main",{"name":"my-app"},{"id":True,"arn":True},{"name":const("my-app")})
    add("aws_ecs_task_definition","app",{"family":"my-app","network_mode":"awsvpc","requires_compatibilities":["FARGATE"],"cpu":"256","memory":"512",
        "container_definitions":json.dumps(cds),"runtime_platform":[{"operating_system_family":"LINUX","cpu_architecture":"X86_64"}],"skip_destroy":False,"track_latest":False},
        {"id":True,"arn":True,"arn_without_revision":True,"revision":True,"execution_role_arn":True,"requires_compatibilities":[False],"runtime_platform":[{}]},
        {"family":const("my-app"),"execution_role_arn":ref("aws_iam_role.execution.arn","aws_iam_role.execution"),"container_definitions":{}})
    add("aws_ecs_service","app",{"name":"my-app","launch_type":"FARGATE","desired_count":1,"network_configuration":[{"assign_public_ip":False}]},
        {"id":True,"cluster":True,"task_definition":True,"iam_role":True,"network_configuration":[{"subnets":True,"security_groups":True}],"platform_version":True},
        {"name":const("my-app"),"cluster":ref("aws_ecs_cluster.main.id","aws_ecs_cluster.main"),"task_definition":ref("aws_ecs_task_definition.app.arn","aws_ecs_task_definition.app"),
         "launch_type":const("FARGATE"),"network_configuration":[{"subnets":ref("aws_subnet.private_a.id","aws_subnet.private_a","aws_subnet.private_c.id","aws_subnet.private_c"),
         "security_groups":ref("aws_security_group.task.id","aws_security_group.task"),"assign_public_ip":const(False)}]})
    return {
      "format_version":"1.2","terraform_version":"1.9.5",
      "planned_values":{"root_module":{"resources":[{"address":a,"mode":"managed","type":t,"name":n,"provider_name":"registry.terraform.io/hashicorp/aws","schema_version":0,"values":v,"sensitive_values":{}} for a,t,n,v,u,e in R]}},
      "resource_changes":[{"address":a,"mode":"managed","type":t,"name":n,"provider_name":"registry.terraform.io/hashicorp/aws","change":{"actions":["create"],"before":None,"after":v,"after_unknown":u,"before_sensitive":False,"after_sensitive":{}}} for a,t,n,v,u,e in R],
      "configuration":{"provider_config":{"aws":{"name":"aws","full_name":"registry.terraform.io/hashicorp/aws","expressions":{"region":const(REGION)}}},
        "root_module":{"resources":[{"address":a,"mode":"managed","type":t,"name":n,"provider_config_key":"aws","expressions":e,"schema_version":0} for a,t,n,v,u,e in R]}},
      "timestamp":"2025-05-12T03:14:15Z","applyable":True,"complete":True,"errored":False}
json.dump(plan(False),open("tfplan-private-no-nat.json","w"),indent=1)
json.dump(plan(True),open("tfplan-private-endpoints.json","w"),indent=1)
