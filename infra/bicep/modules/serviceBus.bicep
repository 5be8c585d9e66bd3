// Service Bus namespace and the four work queues. SAS keys are disabled: the function app and
// Event Grid both authenticate with managed identities.

param name string
param location string
param tags object

@description('Queue names; the function.json bindings and the Event Grid subscriptions use them.')
param queueNames array

@description('How long an undelivered message lives before it is dead-lettered (ISO 8601).')
param messageTimeToLive string

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [
  for queue in queueNames: {
    parent: namespace
    name: queue
    properties: {
      // The host renews the lock (host.json maxAutoLockRenewalDuration) while a handler runs.
      lockDuration: 'PT1M'
      // A failing handler answers non-2xx; after 10 deliveries the message goes to the DLQ.
      maxDeliveryCount: 10
      deadLetteringOnMessageExpiration: true
      defaultMessageTimeToLive: messageTimeToLive
      maxSizeInMegabytes: 1024
      requiresDuplicateDetection: false
      requiresSession: false
      enablePartitioning: false
    }
  }
]

output name string = namespace.name
output id string = namespace.id
// Host name only (no scheme, no port): what ServiceBusConnection__fullyQualifiedNamespace wants.
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
