// Production: one always-ready instance for the HTTP functions (Health, Products, … share the
// 'http' scale group), zone-redundant storage, SQL that never pauses, purge-protected vault.
using '../main.bicep'

param environmentName = 'prod'
param workloadName = 'advisor'

param instanceMemoryMB = 2048
param maximumInstanceCount = 100
param alwaysReady = [
  { name: 'http', instanceCount: 1 }
]

param storageSku = 'Standard_ZRS'
param blobLifecycle = {
  ingestCoolAfterDays: 30
  ingestDeleteAfterDays: 365
  ingestReportsDeleteAfterDays: 180
  videoFramesCoolAfterDays: 30
  deadLetterDeleteAfterDays: 90
}
param messageTimeToLive = 'P14D'

param sqlAdminLogin = readEnvironmentVariable('ADVISOR_SQL_ADMIN_LOGIN', '')
param sqlAdminObjectId = readEnvironmentVariable('ADVISOR_SQL_ADMIN_OBJECT_ID', '')
param sqlAdminPrincipalType = readEnvironmentVariable('ADVISOR_SQL_ADMIN_TYPE', 'Group')
param sqlSku = {
  name: 'GP_S_Gen5'
  tier: 'GeneralPurpose'
  family: 'Gen5'
  capacity: 4
}
param sqlAutoPauseDelayMinutes = -1
param sqlMinCapacity = '1'
param sqlMaxSizeGb = 100
param sqlClientIpAddress = readEnvironmentVariable('ADVISOR_SQL_CLIENT_IP', '')

param keyVaultPurgeProtection = true
param openAiApiKey = readEnvironmentVariable('ADVISOR_OPENAI_API_KEY', '')
// AI enrichment: offline unless chosen. azure-openai authenticates with the app's identity
// (grant it "Cognitive Services OpenAI User" on the resource) unless azureOpenAiUseKey.
param aiEngine = readEnvironmentVariable('ADVISOR_AI_ENGINE', 'offline')
param openAiBaseUrl = readEnvironmentVariable('ADVISOR_OPENAI_BASE_URL', '')
param openAiModel = readEnvironmentVariable('ADVISOR_OPENAI_MODEL', 'gpt-4o-mini')
param azureOpenAiEndpoint = readEnvironmentVariable('ADVISOR_AZURE_OPENAI_ENDPOINT', '')
param azureOpenAiDeployment = readEnvironmentVariable('ADVISOR_AZURE_OPENAI_DEPLOYMENT', '')
param credentialsEncryptionKey = readEnvironmentVariable('ADVISOR_CREDENTIALS_KEY', '')

param logRetentionInDays = 90
