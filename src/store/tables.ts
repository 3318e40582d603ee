// Row types (snake_case, as stored). Booleans are 0/1 integers and timestamps ISO-8601 text on both dialects.
import type { Generated } from 'kysely';

export interface OrganizationsTable {
  id: Generated<number>;
  name: string;
  secret_hash: string;
  created_at: string;
}

export interface UsersTable {
  id: Generated<number>;
  organization_id: number;
  email: string;
  first_name: string;
  last_name: string;
  secret_hash: string;
  created_at: string;
}

export interface InstancesTable {
  id: Generated<number>;
  organization_id: number;
  user_id: number;
  element_key: string;
  name: string;
  tags: string; // JSON array
  token_hash: string;
  token_sealed: string;
  valid: number;
  disabled: number;
  events_enabled: number;
  trace_logging_enabled: number;
  caching_enabled: number;
  max_cache_size: number;
  cache_time_to_live: number;
  created_at: string;
  updated_at: string;
}

export interface InstanceConfigurationTable {
  id: Generated<number>;
  instance_id: number;
  key: string;
  value: string | null; // sealed (enc:v1:…) when secret = 1
  secret: number;
}

export interface Tables {
  organizations: OrganizationsTable;
  users: UsersTable;
  instances: InstancesTable;
  instance_configuration: InstanceConfigurationTable;
}
