using Lilium.Api;

// `migrate` applies the database migrations and exits; anything else serves the API.
if (args is ["migrate", .. var rest])
{
    return await ApiApp.MigrateAsync(rest);
}

var app = await ApiApp.BuildAsync(args, builder =>
{
    // On Lambda (AWS_LAMBDA_RUNTIME_API set) the Runtime API loop replaces Kestrel.
    if (Lilium.Lambda.LambdaEnvironment.IsLambda)
    {
        builder.WebHost.UseLambdaHttpApi();
    }
});
await app.RunAsync();
return 0;
