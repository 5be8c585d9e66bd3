// The one storage account: the Functions host's own storage (AzureWebJobsStorage), the Flex
// Consumption deployment package, and the app's containers. Keys are off: every client (host,
// deployment, handler, Event Grid dead-lettering) authenticates with Entra ID.

param name string
param location string
param tags object

@description('Replication SKU, e.g. Standard_LRS (dev) or Standard_ZRS (prod).')
param skuName string

@description('Container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Container Event Grid writes undeliverable events to.')
param eventGridDeadLetterContainerName string

@description('Lifecycle day counts (days since last modification).')
param lifecycle lifecycleDays

type lifecycleDays = {
  @description('ingest/: move to the cool tier after this many days.')
  ingestCoolAfterDays: int
  @description('ingest/: delete after this many days.')
  ingestDeleteAfterDays: int
  @description('ingest-reports/: delete after this many days.')
  ingestReportsDeleteAfterDays: int
  @description('video-frames/: move to the cool tier after this many days.')
  videoFramesCoolAfterDays: int
  @description('eventgrid-deadletter/: delete after this many days.')
  deadLetterDeleteAfterDays: int
}

// The containers the code reads and writes (shared::blobs), plus the two platform ones.
var appContainers = [
  'ingest'
  'ingest-reports'
  'videos'
  'video-frames'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Flex Consumption with a managed identity for both AzureWebJobsStorage and the deployment
    // container needs no account key, so shared-key (and account-SAS) access is disabled.
    // Upload URLs the app hands out are user-delegation SAS, which this does not affect.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in concat(appContainers, [deploymentContainerName, eventGridDeadLetterContainerName]): {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource lifecyclePolicy 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'ingest-cool-then-delete'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['ingest/']
            }
            actions: {
              baseBlob: {
                tierToCool: {
                  daysAfterModificationGreaterThan: lifecycle.ingestCoolAfterDays
                }
                delete: {
                  daysAfterModificationGreaterThan: lifecycle.ingestDeleteAfterDays
                }
              }
            }
          }
        }
        {
          name: 'ingest-reports-delete'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['ingest-reports/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: lifecycle.ingestReportsDeleteAfterDays
                }
              }
            }
          }
        }
        {
          name: 'video-frames-cool'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['video-frames/']
            }
            actions: {
              baseBlob: {
                tierToCool: {
                  daysAfterModificationGreaterThan: lifecycle.videoFramesCoolAfterDays
                }
              }
            }
          }
        }
        {
          name: 'eventgrid-deadletter-delete'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${eventGridDeadLetterContainerName}/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: lifecycle.deadLetterDeleteAfterDays
                }
              }
            }
          }
        }
      ]
    }
  }
  dependsOn: [containers]
}

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
