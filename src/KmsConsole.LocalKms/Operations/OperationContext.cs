using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.LocalKms.Keys;

namespace KmsConsole.LocalKms.Operations;

/// <summary>What an operation sees of the endpoint while it runs (always under the key ring's gate).</summary>
public sealed record OperationContext(KeyRing Ring, ImportTokens ImportTokens, LocalKmsOptions Options, DateTimeOffset Now);
