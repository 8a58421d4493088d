// tipstream's Azure resources: what the reference architecture's ARM template made (Log Analytics,
// an Event Hubs namespace with its hubs, consumer groups and rules, Cosmos DB for Apache
// Cassandra), plus the keyspace and results table the reference made by hand, and optionally an
// AKS cluster and a Key Vault. Deploy into a resource group:
//   az deployment group create -g RG -f deploy/azure/main.bicep
// Outputs named <group>_<setting> are tipstream settings (common/config.ts): `tipstream azure env`
// turns them into TIPSTREAM_* exports. Outputs named azure_* name resources, for the commands that
// read secrets; no output holds a secret.
// API versions (stable): Microsoft.OperationalInsights 2023-09-01, Microsoft.EventHub 2024-01-01,
// Microsoft.DocumentDB 2024-11-15, Microsoft.ContainerService 2024-09-01, Microsoft.KeyVault
// 2023-07-01; Microsoft.Insights/diagnosticSettings has only 2021-05-01-preview.
// Checked offline by test/unit/deploy (parsed with tree-sitter-bicep; names against tipstream's
// configuration); not compiled by the Bicep CLI nor deployed from this repository's tests.

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Prefix of every resource name; the Event Hubs namespace and the Cosmos DB account are <prefix>-eh and <prefix>-cosmos, and must be globally unique.')
@minLength(3)
@maxLength(20)
param namePrefix string = 'tipstream'

// Sizing. Partitions bound the job's source parallelism and cannot be lowered later (Standard
// tier). tipstream's default is 4 (kafka.partitions), which its parallelism-2 job and a
// parallelism-5 job on two TaskManagers (README, several TaskManagers) both ran exactly on; the
// reference used 8. Give every hub the same count: a ride and its fare must land in the same
// partition number of their topics.
@description('Partitions of each hub (tipstream kafka.partitions).')
@minValue(1)
@maxValue(32)
param partitionCount int = 4

@description('Days a hub keeps events (the reference kept 3).')
@minValue(1)
@maxValue(7)
param retentionDays int = 3

// One throughput unit takes 1 MB/s or 1,000 events/s in and 2 MB/s out. A DEBS replay at the
// generator's measured rate (README, Benchmarks) is a few thousand events per second over both
// hubs: raise to 2-4 for a full-speed replay, or let auto-inflate do it.
@description('Event Hubs throughput units (Standard: 1-40).')
@minValue(1)
@maxValue(40)
param throughputUnits int = 1

@description('Largest throughput units auto-inflate may reach (0: off).')
@minValue(0)
@maxValue(40)
param maximumThroughputUnits int = 4

// The relay writes one row per neighborhood and window (about 200 neighborhoods an hour with
// 1-hour windows; far more with 1-minute windows during a replay); an upsert of a small row costs
// about 10 RU. Autoscale runs between a tenth of this and this.
@description('Autoscale maximum RU/s of the results table (1000 and up, in steps of 1000).')
@minValue(1000)
param cassandraMaxThroughput int = 1000

@description('Also make an AKS cluster for the Flink session cluster and tipstream\'s pods.')
param deployAks bool = false

@description('AKS nodes: 3 x Standard_D4s_v5 (4 vCPU, 16 GiB) hold the JobManager, two TaskManagers of 3 GiB, the SQL Gateway and tipstream\'s pods.')
param aksNodeCount int = 3
param aksNodeSize string = 'Standard_D4s_v5'

@description('Also make a Key Vault holding the connection strings and the Cosmos DB key.')
param deployKeyVault bool = false

// Names tipstream uses; the defaults are its own (common/config.ts) and the test
// test/unit/deploy/names-agree.test.ts keeps them so.
param rideTopic string = 'taxi-rides'
param fareTopic string = 'taxi-fares'
param deadLetterTopic string = 'taxi-dead-letter'
param statsTopic string = 'taxi-neighborhood-stats'
param jobConsumerGroup string = 'tipstream'
param relayConsumerGroup string = 'tipstream-relay'
param keyspaceName string = 'newyorktaxi'

var eventHubsName = '${namePrefix}-eh'
var cosmosName = '${namePrefix}-cosmos'
var hubNames = [rideTopic, fareTopic, deadLetterTopic, statsTopic]

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource eventHubs 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: eventHubsName
  location: location
  sku: {
    name: 'Standard'
    tier: 'Standard'
    capacity: throughputUnits
  }
  properties: {
    kafkaEnabled: true
    minimumTlsVersion: '1.2'
    isAutoInflateEnabled: maximumThroughputUnits > 0
    maximumThroughputUnits: maximumThroughputUnits
    disableLocalAuth: false
  }
}

resource hubs 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = [for hub in hubNames: {
  parent: eventHubs
  name: hub
  properties: {
    partitionCount: partitionCount
    retentionDescription: {
      cleanupPolicy: 'Delete'
      retentionTimeInHours: retentionDays * 24
    }
  }
}]

// The job reads rides and fares as group job.consumerGroup; the relay reads the results as
// relay.consumerGroup. (Event Hubs also accepts Kafka groups it has not seen; naming them here
// makes them visible and keeps them when nothing reads.)
resource rideJobGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: hubs[0]
  name: jobConsumerGroup
}

resource fareJobGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: hubs[1]
  name: jobConsumerGroup
}

resource statsRelayGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: hubs[3]
  name: relayConsumerGroup
}

// Separate rules: the generator only sends, the relay only listens, the Flink job does both
// (it reads two hubs and writes two). One Kafka client reaches several hubs, so the rules are
// on the namespace, not per hub.
resource sendRule 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01' = {
  parent: eventHubs
  name: 'tipstream-send'
  properties: {
    rights: ['Send']
  }
}

resource listenRule 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01' = {
  parent: eventHubs
  name: 'tipstream-listen'
  properties: {
    rights: ['Listen']
  }
}

resource jobRule 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01' = {
  parent: eventHubs
  name: 'tipstream-job'
  properties: {
    rights: ['Listen', 'Send']
  }
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: cosmosName
  location: location
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    capabilities: [
      {
        name: 'EnableCassandra'
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    minimalTlsVersion: 'Tls12'
  }
}

resource keyspace 'Microsoft.DocumentDB/databaseAccounts/cassandraKeyspaces@2024-11-15' = {
  parent: cosmos
  name: keyspaceName
  properties: {
    resource: {
      id: keyspaceName
    }
  }
}

// The table tipstream's relay would otherwise make (clients/cassandra-store.ts): the same
// columns and types, partition key neighborhood, clustering key window_end; upserts keyed by both.
resource resultsTable 'Microsoft.DocumentDB/databaseAccounts/cassandraKeyspaces/tables@2024-11-15' = {
  parent: keyspace
  name: 'neighborhoodstats'
  properties: {
    resource: {
      id: 'neighborhoodstats'
      schema: {
        columns: [
          { name: 'neighborhood', type: 'text' }
          { name: 'window_end', type: 'timestamp' }
          { name: 'window_start', type: 'timestamp' }
          { name: 'number_of_rides', type: 'bigint' }
          { name: 'total_fare_amount', type: 'double' }
          { name: 'total_tip_amount', type: 'double' }
          { name: 'average_fare_amount', type: 'double' }
          { name: 'average_tip_amount', type: 'double' }
          { name: 'total_distance_miles', type: 'double' }
          { name: 'average_tip_per_mile', type: 'double' }
        ]
        partitionKeys: [
          { name: 'neighborhood' }
        ]
        clusterKeys: [
          { name: 'window_end', orderBy: 'Asc' }
        ]
      }
    }
    options: {
      autoscaleSettings: {
        maxThroughput: cassandraMaxThroughput
      }
    }
  }
}

resource eventHubsDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: eventHubs
  name: 'to-log-analytics'
  properties: {
    workspaceId: logs.id
    logs: [
      { categoryGroup: 'allLogs', enabled: true }
    ]
    metrics: [
      { category: 'AllMetrics', enabled: true }
    ]
  }
}

resource cosmosDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: cosmos
  name: 'to-log-analytics'
  properties: {
    workspaceId: logs.id
    logs: [
      { categoryGroup: 'allLogs', enabled: true }
    ]
    metrics: [
      { category: 'Requests', enabled: true }
    ]
  }
}

resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' = if (deployAks) {
  name: '${namePrefix}-aks'
  location: location
  identity: {
    type: 'SystemAssigned'
  }
  sku: {
    name: 'Base'
    tier: 'Free'
  }
  properties: {
    dnsPrefix: '${namePrefix}-aks'
    agentPoolProfiles: [
      {
        name: 'system'
        mode: 'System'
        count: aksNodeCount
        vmSize: aksNodeSize
        osType: 'Linux'
      }
    ]
    addonProfiles: {
      omsagent: {
        enabled: true
        config: {
          logAnalyticsWorkspaceResourceID: logs.id
        }
      }
    }
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = if (deployKeyVault) {
  name: '${namePrefix}-kv-${uniqueString(resourceGroup().id)}'
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
  }
}

// Key Vault secret names are those of the Kubernetes Secrets (deploy/kubernetes/overlays/azure).
resource jobSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (deployKeyVault) {
  parent: vault
  name: 'tipstream-eventhubs-job'
  properties: {
    value: jobRule.listKeys().primaryConnectionString
  }
}

resource listenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (deployKeyVault) {
  parent: vault
  name: 'tipstream-eventhubs-listen'
  properties: {
    value: listenRule.listKeys().primaryConnectionString
  }
}

resource sendSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (deployKeyVault) {
  parent: vault
  name: 'tipstream-eventhubs-send'
  properties: {
    value: sendRule.listKeys().primaryConnectionString
  }
}

resource cosmosSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (deployKeyVault) {
  parent: vault
  name: 'tipstream-cosmos'
  properties: {
    value: cosmos.listKeys().primaryMasterKey
  }
}

// tipstream settings, one output each: <group>_<setting> is the setting group.setting.
output kafka_bootstrapServers string = '${eventHubs.name}.servicebus.windows.net:9093'
output kafka_rideTopic string = hubs[0].name
output kafka_fareTopic string = hubs[1].name
output kafka_deadLetterTopic string = hubs[2].name
output kafka_statsTopic string = hubs[3].name
output kafka_partitions int = partitionCount
output job_consumerGroup string = rideJobGroup.name
output relay_consumerGroup string = statsRelayGroup.name
output cassandra_profile string = 'cosmos'
output cassandra_contactPoints string = '${cosmos.name}.cassandra.cosmos.azure.com'
output cassandra_port int = 10350
output cassandra_localDataCenter string = cosmos.properties.writeLocations[0].locationName
output cassandra_username string = cosmos.name
output cassandra_keyspace string = keyspace.name

// Where the secrets are: `tipstream azure env` prints the az commands that read them.
output azure_resourceGroup string = resourceGroup().name
output azure_eventHubsNamespace string = eventHubs.name
output azure_jobRule string = jobRule.name
output azure_listenRule string = listenRule.name
output azure_sendRule string = sendRule.name
output azure_cosmosAccount string = cosmos.name
output azure_aksCluster string = deployAks ? aks.name : ''
output azure_keyVault string = deployKeyVault ? vault.name : ''
