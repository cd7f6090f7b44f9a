using Lilium.Api;

// `migrate` applies the database migrations and exits; on Lambda, the handler name `migrate` makes this
// bundle the stack's migrations custom resource; anything else serves the API.
if (args is ["migrate", .. var rest])
{
    return await ApiApp.MigrateAsync(rest);
}

if (Lilium.Lambda.LambdaEnvironment.IsLambda && Environment.GetEnvironmentVariable("_HANDLER") == MigrationsFunction.HandlerName)
{
    return await MigrationsFunction.RunAsync();
}

var app = await ApiApp.BuildAsync(args, builder =>
{
    // On Lambda (AWS_LAMBDA_RUNTIME_API set) the Runtime API loop replaces Kestrel.
    if (Lilium.Lambda.LambdaEnvironment.IsLambda)
    {
        builder.WebHost.UseLambdaHttpApi();
    }
});
if (Lilium.Lambda.LambdaEnvironment.IsLambda)
{
    // The first request of a cold start would otherwise also open the first connection (TCP, TLS, authentication):
    // start it now, while the host starts and the runtime fetches the event.
    _ = ApiApp.WarmDatabaseAsync(app);
}

await app.RunAsync();
return 0;
