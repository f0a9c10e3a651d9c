# Builds and runs the KmsConsole web console.
# Inside a container the console listens on a non-loopback address, where local sign-in is refused:
# configure an identity provider (AzureAd__TenantId, AzureAd__ClientId, AzureAd__ClientSecret, or
# OpenIdConnect__Authority, OpenIdConnect__ClientId, ...) and a Rotation target
# (Rotation__Targets__0__Name, __Region, __RoleArn ...). Behind a TLS proxy also set
# ASPNETCORE_FORWARDEDHEADERS_ENABLED=true. See the README's "Sign-in" section.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/KmsConsole.Web/KmsConsole.Web.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
COPY wwwroot-assets ./wwwroot-assets
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    Rotation__Database__ConnectionString="Data Source=/data/kmsconsole.db"
VOLUME /data
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "KmsConsole.Web.dll"]
