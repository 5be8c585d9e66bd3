// Blob uploads become Service Bus messages: a system topic on the storage account, and one
// subscription per watched container delivering Microsoft.Storage.BlobCreated (Event Grid
// schema) to its queue. Delivery and dead-lettering use the system topic's own managed identity,
// so the Service Bus namespace and the storage account keep their keys disabled.

param name string
param location string
param tags object
param storageAccountName string
param serviceBusNamespaceName string

@description('Container → queue routes, e.g. { container: \'ingest\', queue: \'ingest-files\' }.')
param routes route[]

@description('Container Event Grid writes undeliverable events to.')
param deadLetterContainerName string

type route = {
  container: string
  queue: string
}

// Built-in role definition ids.
var serviceBusDataSender = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetterContainer 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = [
  for r in routes: {
    parent: namespace
    name: r.queue
  }
]

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// Least privilege: the topic may send to the routed queues only, and write to the dead-letter
// container only.
resource senderRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (r, i) in routes: {
    name: guid(queues[i].id, systemTopic.id, serviceBusDataSender)
    scope: queues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSender)
      principalId: systemTopic.identity.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource deadLetterRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::deadLetterContainer.id, systemTopic.id, storageBlobDataContributor)
  scope: storage::blobService::deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource subscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = [
  for (r, i) in routes: {
    parent: systemTopic
    name: '${r.container}-to-${r.queue}'
    properties: {
      eventDeliverySchema: 'EventGridSchema'
      filter: {
        includedEventTypes: ['Microsoft.Storage.BlobCreated']
        subjectBeginsWith: '/blobServices/default/containers/${r.container}/'
      }
      deliveryWithResourceIdentity: {
        identity: {
          type: 'SystemAssigned'
        }
        destination: {
          endpointType: 'ServiceBusQueue'
          properties: {
            resourceId: queues[i].id
          }
        }
      }
      retryPolicy: {
        maxDeliveryAttempts: 30
        eventTimeToLiveInMinutes: 1440
      }
      deadLetterWithResourceIdentity: {
        identity: {
          type: 'SystemAssigned'
        }
        deadLetterDestination: {
          endpointType: 'StorageBlob'
          properties: {
            resourceId: storage.id
            blobContainerName: deadLetterContainerName
          }
        }
      }
    }
    dependsOn: [senderRoles, deadLetterRole]
  }
]

output systemTopicName string = systemTopic.name
