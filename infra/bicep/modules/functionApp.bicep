// The Flex Consumption plan and the function app: Linux, custom handler runtime, code from a
// blob container read with the user-assigned identity, every connection by that identity.
//
// Flex Consumption deprecates the classic settings (functions-app-settings, "Flex Consumption
// plan deprecations"): FUNCTIONS_WORKER_RUNTIME and linuxFxVersion are replaced by
// functionAppConfig.runtime, FUNCTIONS_EXTENSION_VERSION is set by the platform (4.x only),
// WEBSITE_RUN_FROM_PACKAGE and WEBSITE_CONTENT* by functionAppConfig.deployment,
// WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT by maximumInstanceCount. None of them appear below.
//
// appSettings is one literal array, one setting per line: a test compares its names with the
// settings the code reads (and with local.settings.sample.json). ARM replaces the whole
// collection on every deployment, so a setting added by hand in the portal is removed by the
// next deployment; add it here instead.

param planName string
param appName string
param location string
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string
@description('Client id of that identity.')
param identityClientId string

param storageAccountName string
param deploymentContainerName string
param serviceBusFullyQualifiedNamespace string
param sqlServerFullyQualifiedDomainName string
param sqlDatabaseName string
param appInsightsName string
param openAiApiKeySecretUri string

@description('Which engine enriches products: offline, openai or azure-openai.')
@allowed(['offline', 'openai', 'azure-openai'])
param aiEngine string
@description('OpenAI-compatible API base; empty means OpenAI itself.')
param openAiBaseUrl string
param openAiModel string
@description('Azure OpenAI resource endpoint, e.g. https://my-resource.openai.azure.com.')
param azureOpenAiEndpoint string
param azureOpenAiDeployment string
param azureOpenAiApiVersion string
@description('Authenticate to Azure OpenAI with the key in Key Vault instead of the managed identity.')
param azureOpenAiUseKey bool
@description('Tokens one tenant may spend per UTC day.')
param aiDailyTokens int
@description('Requests to the AI provider in flight at once, per instance.')
param aiConcurrency int
param aiTimeoutSeconds int
@description('Retries of one AI request after a rate limit, server error or timeout.')
param aiMaxRetries int
@description('Browser origins allowed to call the API (ADVISOR_CORS_ORIGINS).')
param corsOrigins string
@description('Bearer JWTs: the JWKS URL, issuer and audience (all empty: API keys only).')
param jwtJwksUrl string
param jwtIssuer string
param jwtAudience string
param jwtTenantClaim string
param jwtRolesClaim string
@description('Per-instance token buckets; 0 turns a limit off.')
param rateLimitTenantPerSecond int
param rateLimitTenantBurst int
param rateLimitKeyPerSecond int
param rateLimitKeyBurst int
param credentialsEncryptionKeySecretUri string

@description('Custom handler runtime version as the Flex Consumption stack catalog spells it.')
param runtimeVersion string

@description('Instance memory in MB: 512, 2048 or 4096.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('Scale-out ceiling.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Always-ready instances per scale group: \'http\' (all HTTP functions together) or \'function:<Name>\' (one non-HTTP function).')
param alwaysReady alwaysReadyEntry[]

type alwaysReadyEntry = {
  name: string
  instanceCount: int
}

var openAiKeyReference = '@Microsoft.KeyVault(SecretUri=${openAiApiKeySecretUri})'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      runtime: {
        name: 'custom'
        version: runtimeVersion
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReady
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [
        { name: 'ADVISOR_SQL_SERVER', value: sqlServerFullyQualifiedDomainName }
        { name: 'ADVISOR_SQL_DATABASE', value: sqlDatabaseName }
        { name: 'ADVISOR_STORAGE_ACCOUNT', value: storage.name }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
        { name: 'RUST_LOG', value: 'info' }
        { name: 'ADVISOR_AI_ENGINE', value: aiEngine }
        { name: 'OPENAI_BASE_URL', value: openAiBaseUrl }
        { name: 'OPENAI_MODEL', value: openAiModel }
        { name: 'AZURE_OPENAI_ENDPOINT', value: azureOpenAiEndpoint }
        { name: 'AZURE_OPENAI_API_KEY', value: (aiEngine == 'azure-openai' && azureOpenAiUseKey) ? openAiKeyReference : '' }
        { name: 'AZURE_OPENAI_DEPLOYMENT', value: azureOpenAiDeployment }
        { name: 'AZURE_OPENAI_API_VERSION', value: azureOpenAiApiVersion }
        { name: 'ADVISOR_AI_DAILY_TOKENS', value: string(aiDailyTokens) }
        { name: 'ADVISOR_AI_CONCURRENCY', value: string(aiConcurrency) }
        { name: 'ADVISOR_AI_TIMEOUT_SECONDS', value: string(aiTimeoutSeconds) }
        { name: 'ADVISOR_AI_MAX_RETRIES', value: string(aiMaxRetries) }
        { name: 'ADVISOR_CORS_ORIGINS', value: corsOrigins }
        { name: 'ADVISOR_JWT_JWKS_URL', value: jwtJwksUrl }
        { name: 'ADVISOR_JWT_ISSUER', value: jwtIssuer }
        { name: 'ADVISOR_JWT_AUDIENCE', value: jwtAudience }
        { name: 'ADVISOR_JWT_TENANT_CLAIM', value: jwtTenantClaim }
        { name: 'ADVISOR_JWT_ROLES_CLAIM', value: jwtRolesClaim }
        { name: 'ADVISOR_RATE_LIMIT_TENANT_PER_SECOND', value: string(rateLimitTenantPerSecond) }
        { name: 'ADVISOR_RATE_LIMIT_TENANT_BURST', value: string(rateLimitTenantBurst) }
        { name: 'ADVISOR_RATE_LIMIT_KEY_PER_SECOND', value: string(rateLimitKeyPerSecond) }
        { name: 'ADVISOR_RATE_LIMIT_KEY_BURST', value: string(rateLimitKeyBurst) }
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'ServiceBusConnection__fullyQualifiedNamespace', value: serviceBusFullyQualifiedNamespace }
        { name: 'ServiceBusConnection__credential', value: 'managedidentity' }
        { name: 'ServiceBusConnection__clientId', value: identityClientId }
        // Only the chosen provider gets the key: a Key Vault reference to a secret never set
        // would otherwise reach the code as a literal and pass for a key.
        { name: 'OPENAI_API_KEY', value: aiEngine == 'openai' ? openAiKeyReference : '' }
        { name: 'ADVISOR_CREDENTIALS_KEY', value: '@Microsoft.KeyVault(SecretUri=${credentialsEncryptionKeySecretUri})' }
      ]
    }
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
