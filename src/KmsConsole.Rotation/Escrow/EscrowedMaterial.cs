namespace KmsConsole.Rotation.Escrow;

/// <summary>
/// Imported key material, sealed with AES-GCM under a data key that only the escrow KMS key can unwrap.
/// Only the wrapped data key and the ciphertext are stored, never the material or the plaintext data key.
/// </summary>
internal sealed class EscrowedMaterial
{
    public Guid Id { get; set; }
    public Guid RunId { get; set; }
    public string Target { get; set; } = "";
    public string KeyId { get; set; } = "";
    public string? KeyMaterialId { get; set; }
    public string EscrowKeyArn { get; set; } = "";
    public byte[] WrappedDataKey { get; set; } = [];
    public byte[] Nonce { get; set; } = [];
    public byte[] Ciphertext { get; set; } = [];
    public byte[] Tag { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
}
