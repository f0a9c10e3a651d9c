using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Crypto;

public class KeyWrapTests
{
    private static readonly byte[] Kek = Convert.FromHexString("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");

    [Theory]
    [InlineData("c37b7e6492584340bed12207808941155068f738", "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a")]
    [InlineData("466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f")]
    public void Both_key_wraps_reproduce_the_RFC_5649_examples(string keyHex, string wrappedHex)
    {
        var key = Convert.FromHexString(keyHex);
        var wrapped = Convert.FromHexString(wrappedHex);

        Assert.Equal(wrapped, AesKeyWrapWithPadding.Wrap(Kek, key));
        Assert.Equal(wrapped, KeyWrapRfc5649.Wrap(Kek, key));
        Assert.Equal(key, AesKeyWrapWithPadding.Unwrap(Kek, wrapped));
    }

    [Fact]
    public void Unwrapping_an_altered_wrap_fails_the_integrity_check()
    {
        var wrapped = KeyWrapRfc5649.Wrap(Kek, new byte[32]);
        wrapped[5] ^= 1;

        Assert.Null(AesKeyWrapWithPadding.Unwrap(Kek, wrapped));
    }
}
