using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.RDS;
using Amazon.CDK.AWS.SecretsManager;
using Constructs;
using Lilium.Signaling.Connections;

namespace Lilium.Infra.Constructs;

/// <summary>
/// Postgres (Aurora Serverless v2 that pauses at 0 ACU when idle, so an idle deployment pays for
/// storage only), its credentials generated into Secrets Manager, the token-signing keys secret,
/// and the DynamoDB connections table (on demand, TTL; its shape is the signaling code's ConnectionTableSchema).
/// </summary>
public sealed class Data : Construct
{
    public Data(Construct scope, string id, IVpc vpc, bool localEndpoint = false) : base(scope, id)
    {
        DatabaseSecurityGroup = new SecurityGroup(this, "DbSg", new SecurityGroupProps
        {
            Vpc = vpc,
            AllowAllOutbound = false,
            Description = "Postgres: reachable only from the Lambdas",
        });

        Database = new DatabaseCluster(this, "Db", new DatabaseClusterProps
        {
            Engine = DatabaseClusterEngine.AuroraPostgres(new AuroraPostgresClusterEngineProps
            {
                Version = AuroraPostgresEngineVersion.Of("16.6", "16"),
            }),
            Credentials = Credentials.FromGeneratedSecret("lilium"),
            DefaultDatabaseName = "lilium",
            Writer = ClusterInstance.ServerlessV2("Writer"),
            ServerlessV2MinCapacity = 0.5,
            ServerlessV2MaxCapacity = 2,
            Vpc = vpc,
            VpcSubnets = new SubnetSelection { SubnetType = SubnetType.PRIVATE_ISOLATED },
            SecurityGroups = [DatabaseSecurityGroup],
            StorageEncrypted = true,
            DeletionProtection = false,
            RemovalPolicy = RemovalPolicy.SNAPSHOT,
            Backup = new BackupProps { Retention = Duration.Days(7) },
        });

        // Scale to 0 ACU and pause after 5 idle minutes (Aurora PostgreSQL 16.3+); CDK 2.160 predates the
        // property, so it is set on the underlying resource.
        var cluster = (CfnDBCluster)Database.Node.DefaultChild!;
        cluster.AddPropertyOverride("ServerlessV2ScalingConfiguration.MinCapacity", 0);
        cluster.AddPropertyOverride("ServerlessV2ScalingConfiguration.SecondsUntilAutoPause", 300);

        if (localEndpoint)
        {
            // moto's RDS model has no default engine version for aurora-postgresql instances and fails the whole stack;
            // CloudFormation on AWS takes an Aurora instance's version from its cluster, so the real template omits it.
            foreach (var instance in Database.Node.FindAll().OfType<CfnDBInstance>())
            {
                instance.AddPropertyOverride("EngineVersion", "16.6");
            }
        }

        // {"generated":true,"seed":<64 random characters>}: the API and the relay derive the access, refresh and
        // relay keys from the seed with HKDF (Lilium.Auth.TokenKeys), so no one seeds or writes the secret;
        // explicit base64 keys in it win when an operator rotates them. See docs/infra.md.
        TokenKeys = new Secret(this, "TokenKeys", new SecretProps
        {
            Description = "LiliumShare token signing keys (access, refresh, relay)",
            GenerateSecretString = new SecretStringGenerator
            {
                SecretStringTemplate = "{\"generated\":true}",
                GenerateStringKey = "seed",
                PasswordLength = 64,
                ExcludePunctuation = true,
            },
        });

        // The relay's own key, apart from the token keys: the relay holds only this secret, so nothing on it can derive or
        // read an access or refresh key. {"relayKey":<64 letters and digits>}: valid base64 of 48 bytes (the relay takes
        // RELAY_KEY, base64 of at least 32 bytes; ECS injects this field). The API and the signaling function sign relay
        // grants with it (RELAY_KEY_SECRET_ARN).
        RelayKey = new Secret(this, "RelayKey", new SecretProps
        {
            Description = "LiliumShare relay grant key (the only secret the media relay reads)",
            GenerateSecretString = new SecretStringGenerator
            {
                SecretStringTemplate = "{}",
                GenerateStringKey = RelayKeyField,
                PasswordLength = 64,
                ExcludePunctuation = true,
            },
        });

        // Key schema and TTL attribute from the signaling code's own definition (ConnectionTableSchema, compiled in).
        var connections = new Table(this, "Connections", new TableProps
        {
            PartitionKey = new Amazon.CDK.AWS.DynamoDB.Attribute { Name = ConnectionTableSchema.PartitionKey, Type = AttributeType.STRING },
            SortKey = new Amazon.CDK.AWS.DynamoDB.Attribute { Name = ConnectionTableSchema.SortKey, Type = AttributeType.STRING },
            BillingMode = BillingMode.PAY_PER_REQUEST,
            TimeToLiveAttribute = ConnectionTableSchema.TimeToLive,
            Encryption = TableEncryption.AWS_MANAGED,
            RemovalPolicy = RemovalPolicy.DESTROY,
        });
        Connections = connections;
    }

    public DatabaseCluster Database { get; }

    public SecurityGroup DatabaseSecurityGroup { get; }

    public ISecret TokenKeys { get; }

    /// <summary>The field of <see cref="RelayKey"/> that holds the key (base64).</summary>
    public const string RelayKeyField = "relayKey";

    /// <summary><c>{"relayKey":"&lt;base64&gt;"}</c>: the relay grant key, the relay's only secret.</summary>
    public ISecret RelayKey { get; }

    public ITable Connections { get; }

    /// <summary>Lets <paramref name="function"/> read the database secret and connect to Postgres.</summary>
    public void GrantDatabase(IGrantable function, IConnectable connectable)
    {
        Database.Secret!.GrantRead(function);
        DatabaseSecurityGroup.AddIngressRule(connectable.Connections.SecurityGroups[0], Port.Tcp(5432), "Lambda to Postgres");
    }
}
