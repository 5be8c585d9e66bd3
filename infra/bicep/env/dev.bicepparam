// Development: scale to zero, serverless SQL that pauses, no always-ready instances.
// Values that differ per person or subscription come from the environment (see README.md, "Deploy to Azure");
// secrets are passed only when they are to be set or rotated.
using '../main.bicep'

param environmentName = 'dev'
param workloadName = 'advisor'

param instanceMemoryMB = 2048
param maximumInstanceCount = 40
param alwaysReady = []

param storageSku = 'Standard_LRS'
param blobLifecycle = {
  ingestCoolAfterDays: 30
  ingestDeleteAfterDays: 365
  ingestReportsDeleteAfterDays: 180
  videoFramesCoolAfterDays: 30
  deadLetterDeleteAfterDays: 30
}
param messageTimeToLive = 'P14D'

param sqlAdminLogin = readEnvironmentVariable('ADVISOR_SQL_ADMIN_LOGIN', '')
param sqlAdminObjectId = readEnvironmentVariable('ADVISOR_SQL_ADMIN_OBJECT_ID', '')
param sqlAdminPrincipalType = readEnvironmentVariable('ADVISOR_SQL_ADMIN_TYPE', 'User')
param sqlSku = {
  name: 'GP_S_Gen5'
  tier: 'GeneralPurpose'
  family: 'Gen5'
  capacity: 1
}
param sqlAutoPauseDelayMinutes = 60
param sqlMinCapacity = '0.5'
param sqlMaxSizeGb = 32
param sqlClientIpAddress = readEnvironmentVariable('ADVISOR_SQL_CLIENT_IP', '')

param keyVaultPurgeProtection = false
param openAiApiKey = readEnvironmentVariable('ADVISOR_OPENAI_API_KEY', '')
// AI enrichment: offline unless chosen. azure-openai authenticates with the app's identity
// (grant it "Cognitive Services OpenAI User" on the resource) unless azureOpenAiUseKey.
param aiEngine = readEnvironmentVariable('ADVISOR_AI_ENGINE', 'offline')
param openAiBaseUrl = readEnvironmentVariable('ADVISOR_OPENAI_BASE_URL', '')
param openAiModel = readEnvironmentVariable('ADVISOR_OPENAI_MODEL', 'gpt-4o-mini')
param azureOpenAiEndpoint = readEnvironmentVariable('ADVISOR_AZURE_OPENAI_ENDPOINT', '')
param azureOpenAiDeployment = readEnvironmentVariable('ADVISOR_AZURE_OPENAI_DEPLOYMENT', '')
param credentialsEncryptionKey = readEnvironmentVariable('ADVISOR_CREDENTIALS_KEY', '')

param logRetentionInDays = 30
