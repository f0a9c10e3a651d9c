namespace KmsConsole.Rotation;

public sealed class RotationOptions
{
    public const string SectionName = "Rotation";
}
