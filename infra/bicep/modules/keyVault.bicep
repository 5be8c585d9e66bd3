// Key Vault for the app's two secrets, read through Key Vault references in app settings.
//
// Secrets are written only when a value is passed. A deployment without the value leaves the
// existing secret (and its versions) alone, so CI redeploys never wipe what ops set, and no
// placeholder ever reaches the app: an unset secret makes the reference fail visibly in the
// portal (Environment variables → "Key vault reference" status) instead of handing the app a
// fake key.

param name string
param location string
param tags object

@description('Purge protection cannot be turned off once on: true for prod only.')
param enablePurgeProtection bool

@secure()
@description('Value for secret openai-api-key; empty keeps the current secret.')
param openAiApiKey string

@secure()
@description('Value for secret credentials-encryption-key; empty keeps the current secret.')
param credentialsEncryptionKey string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // The API accepts only true or absent here.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource openAiSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(openAiApiKey)) {
  parent: vault
  name: 'openai-api-key'
  properties: {
    value: openAiApiKey
  }
}

resource credentialsSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(credentialsEncryptionKey)) {
  parent: vault
  name: 'credentials-encryption-key'
  properties: {
    value: credentialsEncryptionKey
  }
}

output name string = vault.name
output id string = vault.id
// Versionless URIs: a new secret version is picked up without a redeploy. They locate secrets;
// they do not contain them.
#disable-next-line outputs-should-not-contain-secrets
output openAiApiKeySecretUri string = '${vault.properties.vaultUri}secrets/openai-api-key'
#disable-next-line outputs-should-not-contain-secrets
output credentialsEncryptionKeySecretUri string = '${vault.properties.vaultUri}secrets/credentials-encryption-key'
