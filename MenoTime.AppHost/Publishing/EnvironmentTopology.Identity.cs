using Amazon.CDK;
using Amazon.CDK.AWS.Cognito;

namespace MenoTime.AppHost.Publishing;

public sealed partial class EnvironmentTopology
{
    /// <summary>The API's roles (issue 3: cognito:groups); seed 003 calls them Patients, Providers, Supporters, Admins.</summary>
    public static readonly string[] RoleGroups = ["patient", "provider", "supporter", "admin"];

    public UserPool UserPool { get; private set; } = null!;

    public UserPoolClient WebClient { get; private set; } = null!;

    public UserPoolClient ServerClient { get; private set; } = null!;

    /// <summary>
    /// Seed 003's Cognito: MFA required (SMS and TOTP), 12+ character passwords with every character class,
    /// advanced security enforced, no self-signup, the four role groups, a public web client (authorization
    /// code + PKCE) and a confidential server client (client credentials, SRP), tokens valid 15 minutes.
    /// </summary>
    private void CreateIdentity()
    {
        UserPool = new UserPool(this, "Users", new UserPoolProps
        {
            UserPoolName = $"{Prefix}-users",
            SelfSignUpEnabled = false,
            SignInAliases = new SignInAliases { Email = true },
            Mfa = Mfa.REQUIRED,
            MfaSecondFactor = new MfaSecondFactor { Sms = true, Otp = true },
            PasswordPolicy = new PasswordPolicy
            {
                MinLength = 12,
                RequireLowercase = true,
                RequireUppercase = true,
                RequireDigits = true,
                RequireSymbols = true,
                TempPasswordValidity = Duration.Days(3),
            },
            AdvancedSecurityMode = AdvancedSecurityMode.ENFORCED,
            AccountRecovery = AccountRecovery.EMAIL_ONLY,
            DeletionProtection = Profile.DeletionProtection,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        Tagging.Describe(UserPool, component: "security", compliance: "hipaa+pii-storage", encryption: "aws-managed");

        var precedence = 0;
        foreach (var group in RoleGroups.Reverse())
        {
            _ = new CfnUserPoolGroup(this, $"Group-{group}", new CfnUserPoolGroupProps
            {
                UserPoolId = UserPool.UserPoolId,
                GroupName = group,
                Precedence = precedence++,
                Description = $"MenoTime role '{group}'",
            });
        }

        UserPool.AddDomain("Domain", new UserPoolDomainOptions { CognitoDomain = new CognitoDomainOptions { DomainPrefix = $"{Prefix}-auth" } });
        var systemScope = new ResourceServerScope(new ResourceServerScopeProps { ScopeName = "system", ScopeDescription = "Server-to-server calls to the MenoTime API" });
        var api = UserPool.AddResourceServer("Api", new UserPoolResourceServerOptions { Identifier = "menotime-api", Scopes = [systemScope] });
        var fifteenMinutes = Duration.Minutes(15);

        WebClient = UserPool.AddClient("WebClient", new UserPoolClientOptions
        {
            UserPoolClientName = $"{Prefix}-web",
            GenerateSecret = false,
            AuthFlows = new AuthFlow { UserSrp = true },
            OAuth = new OAuthSettings
            {
                Flows = new OAuthFlows { AuthorizationCodeGrant = true }, // Cognito requires PKCE of public clients' code flow
                Scopes = [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
                CallbackUrls = [$"https://{Profile.DomainName}/auth/callback"],
                LogoutUrls = [$"https://{Profile.DomainName}/"],
            },
            AccessTokenValidity = fifteenMinutes,
            IdTokenValidity = fifteenMinutes,
            RefreshTokenValidity = Duration.Hours(8),
            PreventUserExistenceErrors = true,
            EnableTokenRevocation = true,
        });
        ServerClient = UserPool.AddClient("ServerClient", new UserPoolClientOptions
        {
            UserPoolClientName = $"{Prefix}-server",
            GenerateSecret = true,
            AuthFlows = new AuthFlow { UserSrp = true },
            OAuth = new OAuthSettings
            {
                Flows = new OAuthFlows { ClientCredentials = true },
                Scopes = [OAuthScope.ResourceServer(api, systemScope)],
            },
            AccessTokenValidity = fifteenMinutes,
            IdTokenValidity = fifteenMinutes,
            RefreshTokenValidity = Duration.Hours(1),
            PreventUserExistenceErrors = true,
            EnableTokenRevocation = true,
        });
    }
}
