// The one user-assigned identity the function app runs as: host storage, deployment package,
// Service Bus, Key Vault references and the handler's own Azure SQL / Blob clients all use it.
// User-assigned (not system-assigned) so role assignments and the SQL user exist before the app
// does, and survive the app being recreated.

@description('Identity name; also the name of its Azure SQL database user.')
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
