using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>What depends on the partition: SM2 (key spec, SM2PKE wrapping, SM2DSA) exists only in the China Regions.</summary>
public static class Regions
{
    /// <summary>
    /// Outside China, AWS refuses the SM2 key spec with UnsupportedOperationException "KeySpec SM2 is not supported in this Region"
    /// (reported against us-east-1), after the request's own validation and the spec × usage check.
    /// </summary>
    public static void RefuseSm2(string keySpec)
    {
        if (keySpec == KeySpecs.Sm2)
        {
            throw KmsErrors.Unsupported("KeySpec SM2 is not supported in this Region");
        }
    }
}
