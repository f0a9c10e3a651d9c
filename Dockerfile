# Builds and runs the KmsConsole web console.
# Inside a container the console must listen on a non-loopback address, so local sign-in is off:
# configure AzureAd (or OpenIdConnect) and a Rotation target, e.g.
#   docker run -p 8080:8080 -e AzureAd__TenantId=... -e AzureAd__ClientId=... kmsconsole
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
