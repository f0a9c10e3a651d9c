using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AuditEvents",
                columns: table => new
                {
                    Sequence = table.Column<long>(type: "bigint", nullable: false),
                    Time = table.Column<long>(type: "bigint", nullable: false),
                    Actor = table.Column<string>(type: "text", nullable: false),
                    Action = table.Column<string>(type: "text", nullable: false),
                    Subject = table.Column<string>(type: "text", nullable: false),
                    Details = table.Column<string>(type: "text", nullable: false),
                    AwsRequestId = table.Column<string>(type: "text", nullable: true),
                    RunId = table.Column<Guid>(type: "uuid", nullable: true),
                    PreviousHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditEvents", x => x.Sequence);
                });

            migrationBuilder.CreateTable(
                name: "EscrowedMaterial",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    RunId = table.Column<Guid>(type: "uuid", nullable: false),
                    Target = table.Column<string>(type: "text", nullable: false),
                    KeyId = table.Column<string>(type: "text", nullable: false),
                    KeyMaterialId = table.Column<string>(type: "text", nullable: true),
                    EscrowKeyArn = table.Column<string>(type: "text", nullable: false),
                    WrappedDataKey = table.Column<byte[]>(type: "bytea", nullable: false),
                    Nonce = table.Column<byte[]>(type: "bytea", nullable: false),
                    Ciphertext = table.Column<byte[]>(type: "bytea", nullable: false),
                    Tag = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EscrowedMaterial", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "KeySnapshots",
                columns: table => new
                {
                    Target = table.Column<string>(type: "text", nullable: false),
                    KeyId = table.Column<string>(type: "text", nullable: false),
                    Arn = table.Column<string>(type: "text", nullable: false),
                    Aliases = table.Column<string>(type: "text", nullable: false),
                    Origin = table.Column<string>(type: "text", nullable: false),
                    KeySpec = table.Column<string>(type: "text", nullable: false),
                    KeyUsage = table.Column<string>(type: "text", nullable: false),
                    KeyState = table.Column<string>(type: "text", nullable: false),
                    Description = table.Column<string>(type: "text", nullable: false),
                    RotationEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    RotationPeriodInDays = table.Column<int>(type: "integer", nullable: true),
                    NextRotationDate = table.Column<long>(type: "bigint", nullable: true),
                    LastRotationDate = table.Column<long>(type: "bigint", nullable: true),
                    ValidTo = table.Column<long>(type: "bigint", nullable: true),
                    ExpirationModel = table.Column<string>(type: "text", nullable: true),
                    CreationDate = table.Column<long>(type: "bigint", nullable: false),
                    SyncedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_KeySnapshots", x => new { x.Target, x.KeyId });
                });

            migrationBuilder.CreateTable(
                name: "Runs",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Workflow = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Target = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    KeyId = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    KeyArn = table.Column<string>(type: "text", nullable: true),
                    AliasName = table.Column<string>(type: "text", nullable: true),
                    Parameters = table.Column<string>(type: "text", nullable: false),
                    State = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    RequestedBy = table.Column<string>(type: "text", nullable: false),
                    RequestedByName = table.Column<string>(type: "text", nullable: false),
                    Justification = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    StartedAt = table.Column<long>(type: "bigint", nullable: true),
                    FinishedAt = table.Column<long>(type: "bigint", nullable: true),
                    CurrentStepIndex = table.Column<int>(type: "integer", nullable: false),
                    Error = table.Column<string>(type: "text", nullable: true),
                    NewKeyId = table.Column<string>(type: "text", nullable: true),
                    Values = table.Column<string>(type: "text", nullable: false),
                    LeaseOwner = table.Column<string>(type: "text", nullable: true),
                    LeaseUntil = table.Column<long>(type: "bigint", nullable: true),
                    ActiveKeyLock = table.Column<string>(type: "text", nullable: true),
                    ActiveAliasLock = table.Column<string>(type: "text", nullable: true),
                    Version = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Runs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Approvals",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RunId = table.Column<Guid>(type: "uuid", nullable: false),
                    GateStepIndex = table.Column<int>(type: "integer", nullable: false),
                    ApproverId = table.Column<string>(type: "text", nullable: false),
                    ApproverName = table.Column<string>(type: "text", nullable: false),
                    Decision = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    Comment = table.Column<string>(type: "text", nullable: true),
                    DecidedAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Approvals", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Approvals_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "RunSteps",
                columns: table => new
                {
                    RunId = table.Column<Guid>(type: "uuid", nullable: false),
                    Index = table.Column<int>(type: "integer", nullable: false),
                    Name = table.Column<string>(type: "text", nullable: false),
                    Kind = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    State = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    StartedAt = table.Column<long>(type: "bigint", nullable: true),
                    FinishedAt = table.Column<long>(type: "bigint", nullable: true),
                    Output = table.Column<string>(type: "text", nullable: true),
                    AwsRequestId = table.Column<string>(type: "text", nullable: true),
                    ErrorCode = table.Column<string>(type: "text", nullable: true),
                    ErrorMessage = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RunSteps", x => new { x.RunId, x.Index });
                    table.ForeignKey(
                        name: "FK_RunSteps_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Approvals_RunId_GateStepIndex",
                table: "Approvals",
                columns: new[] { "RunId", "GateStepIndex" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEvents_Action",
                table: "AuditEvents",
                column: "Action");

            migrationBuilder.CreateIndex(
                name: "IX_AuditEvents_Actor",
                table: "AuditEvents",
                column: "Actor");

            migrationBuilder.CreateIndex(
                name: "IX_AuditEvents_RunId",
                table: "AuditEvents",
                column: "RunId");

            migrationBuilder.CreateIndex(
                name: "IX_AuditEvents_Time",
                table: "AuditEvents",
                column: "Time");

            migrationBuilder.CreateIndex(
                name: "IX_EscrowedMaterial_RunId",
                table: "EscrowedMaterial",
                column: "RunId");

            migrationBuilder.CreateIndex(
                name: "IX_EscrowedMaterial_Target_KeyId",
                table: "EscrowedMaterial",
                columns: new[] { "Target", "KeyId" });

            migrationBuilder.CreateIndex(
                name: "IX_KeySnapshots_Aliases",
                table: "KeySnapshots",
                column: "Aliases");

            migrationBuilder.CreateIndex(
                name: "IX_KeySnapshots_CreationDate",
                table: "KeySnapshots",
                column: "CreationDate");

            migrationBuilder.CreateIndex(
                name: "IX_KeySnapshots_KeyState",
                table: "KeySnapshots",
                column: "KeyState");

            migrationBuilder.CreateIndex(
                name: "IX_KeySnapshots_LastRotationDate",
                table: "KeySnapshots",
                column: "LastRotationDate");

            migrationBuilder.CreateIndex(
                name: "IX_KeySnapshots_Origin",
                table: "KeySnapshots",
                column: "Origin");

            migrationBuilder.CreateIndex(
                name: "IX_KeySnapshots_RotationEnabled_NextRotationDate",
                table: "KeySnapshots",
                columns: new[] { "RotationEnabled", "NextRotationDate" });

            migrationBuilder.CreateIndex(
                name: "IX_KeySnapshots_ValidTo",
                table: "KeySnapshots",
                column: "ValidTo");

            migrationBuilder.CreateIndex(
                name: "IX_Runs_ActiveAliasLock",
                table: "Runs",
                column: "ActiveAliasLock",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Runs_ActiveKeyLock",
                table: "Runs",
                column: "ActiveKeyLock",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Runs_CreatedAt",
                table: "Runs",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Runs_State_LeaseUntil",
                table: "Runs",
                columns: new[] { "State", "LeaseUntil" });

            migrationBuilder.CreateIndex(
                name: "IX_Runs_Target_KeyId",
                table: "Runs",
                columns: new[] { "Target", "KeyId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Approvals");

            migrationBuilder.DropTable(
                name: "AuditEvents");

            migrationBuilder.DropTable(
                name: "EscrowedMaterial");

            migrationBuilder.DropTable(
                name: "KeySnapshots");

            migrationBuilder.DropTable(
                name: "RunSteps");

            migrationBuilder.DropTable(
                name: "Runs");
        }
    }
}
