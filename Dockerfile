# Builds and runs the KmsConsole web console (and, as target "localkms", the local KMS endpoint compose.yaml uses).
# Inside a container the console listens on a non-loopback address, where local sign-in is refused:
# configure an identity provider (AzureAd__TenantId, AzureAd__ClientId, AzureAd__ClientSecret, or
# OpenIdConnect__Authority, OpenIdConnect__ClientId, ...) and a Rotation target
# (Rotation__Targets__0__Name, __Region, __RoleArn ...). Behind a TLS proxy also set
# ASPNETCORE_FORWARDEDHEADERS_ENABLED=true. See docs/sign-in.md and docs/operations.md.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/KmsConsole.Web/KmsConsole.Web.csproj -c Release -o /app \
 && dotnet publish src/KmsConsole.LocalKms/KmsConsole.LocalKms.csproj -c Release -o /localkms

# The local KMS endpoint alone (docker build --target localkms): its state under /data.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS localkms
WORKDIR /localkms
COPY --from=build /localkms .
RUN mkdir -p /data && chown $APP_UID /data
VOLUME /data
EXPOSE 4599
USER $APP_UID
ENTRYPOINT ["dotnet", "/localkms/KmsConsole.LocalKms.dll", "--urls", "http://0.0.0.0:4599", "--data", "/data"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
COPY wwwroot-assets ./wwwroot-assets
# A fresh named volume takes the owner of the folder it is mounted on: the app user must own /data to write there, and
# /keys, where compose.yaml mounts the instances' shared data protection key ring.
RUN mkdir -p /data /keys && chown $APP_UID /data /keys
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    Rotation__Database__ConnectionString="Data Source=/data/kmsconsole.db" \
    LocalKms__DataDirectory=/data/localkms
VOLUME /data
EXPOSE 8080
USER $APP_UID
# The content root is the app's folder whatever the working directory; relative data paths land under /data.
WORKDIR /data
# The runtime image has no curl: the console asks its own /health/live.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["dotnet", "/app/KmsConsole.Web.dll", "health-probe"]
ENTRYPOINT ["dotnet", "/app/KmsConsole.Web.dll"]
