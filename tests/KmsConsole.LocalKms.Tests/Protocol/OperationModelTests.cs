using System.Diagnostics;
using System.Net;
using System.Reflection;
using Amazon.KeyManagementService;
using Amazon.Runtime;
using KmsConsole.LocalKms.Operations;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Protocol;

/// <summary>
/// Every operation of the KMS API model answers. The model's operation names are checked in (kms-operations.txt: the
/// AWS SDK 4.1 client's operations, kms 2014-11-01); the list is compared with the SDK and, when it is installed, with
/// botocore's kms model, which (botocore 1.43.11) does not have the ML-KEM operations yet.
/// </summary>
public class OperationModelTests
{
    /// <summary>Operations of the SDK's model that botocore 1.43.11 lacks.</summary>
    private static readonly string[] NewerThanBotocore = ["Decapsulate", "Encapsulate"];

    private static readonly string[] ModelOperations = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Protocol", "kms-operations.txt"))
        .Where(line => line.Length > 0)
        .ToArray();

    [SkippableFact]
    public async Task The_checked_in_operation_list_is_botocores_kms_model_with_at_most_the_newer_ML_KEM_operations()
    {
        var python = new[] { "/root/.pyenv/shims/python3", "/usr/bin/python3" }.FirstOrDefault(File.Exists);
        Skip.If(python is null, "python3 is not installed");
        var (exit, output, error) = await RunAsync(python!, "-c",
            "import botocore.session as s; print('\\n'.join(sorted(s.get_session().get_service_model('kms').operation_names)))");
        Skip.If(exit != 0 && error.Contains("No module named", StringComparison.Ordinal), $"botocore is not installed for {python}");

        Assert.True(exit == 0, error);
        var botocore = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Subset(ModelOperations.ToHashSet(), botocore.ToHashSet());
        Assert.Subset(NewerThanBotocore.ToHashSet(), ModelOperations.Except(botocore).ToHashSet());
    }

    [Fact]
    public void The_checked_in_operation_list_is_the_AWS_SDKs_client()
    {
        Assert.Equal(ModelOperations, SdkOperations().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_endpoint_catalog_holds_exactly_the_models_operations()
    {
        Assert.Equal(ModelOperations, OperationCatalog.Create().Names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Every_operation_of_the_model_answers_a_signed_raw_request_without_an_unknown_operation_or_internal_error()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        foreach (var operation in ModelOperations)
        {
            var (status, body, _) = await Raw.PostAsync(endpoint.Server.Endpoint, "TrentService." + operation, "{}");

            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{operation}: HTTP {(int)status}");
            if (status != HttpStatusCode.OK)
            {
                var type = body.GetProperty("__type").GetString();
                Assert.True(type is not ("UnknownOperationException" or "KMSInternalException"), $"{operation}: {type}");
            }
        }
    }

    [Fact]
    public async Task Every_operation_of_the_model_answers_the_AWS_SDK_with_a_result_or_a_modelled_error()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var answered = new List<string>();

        foreach (var (operation, method) in SdkOperations())
        {
            var request = Activator.CreateInstance(method.GetParameters()[0].ParameterType);
            try
            {
                await (Task)method.Invoke(endpoint.Kms, [request, CancellationToken.None])!;
                answered.Add(operation);
            }
            catch (AmazonServiceException error)
            {
                Assert.True(error.StatusCode == HttpStatusCode.BadRequest, $"{operation}: HTTP {(int)error.StatusCode} {error.ErrorCode}");
                Assert.True(error.ErrorCode is not ("UnknownOperationException" or "KMSInternalException"), $"{operation}: {error.ErrorCode}");
                answered.Add(operation);
            }
        }

        Assert.Equal(ModelOperations.Length, answered.Count);
    }

    /// <summary>The SDK client's operations: each XxxAsync(XxxRequest, CancellationToken) of IAmazonKeyManagementService.</summary>
    private static SortedDictionary<string, MethodInfo> SdkOperations()
    {
        var operations = new SortedDictionary<string, MethodInfo>(StringComparer.Ordinal);
        foreach (var method in typeof(IAmazonKeyManagementService).GetMethods())
        {
            var parameters = method.GetParameters();
            if (!method.Name.EndsWith("Async", StringComparison.Ordinal) || parameters.Length != 2
                || parameters[1].ParameterType != typeof(CancellationToken)
                || parameters[0].ParameterType.Name != method.Name[..^"Async".Length] + "Request")
            {
                continue;
            }

            operations[method.Name[..^"Async".Length]] = method;
        }

        return operations;
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string executable, params string[] arguments)
    {
        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
