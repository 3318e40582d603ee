// Row types (snake_case, as stored). Booleans are 0/1 integers and timestamps ISO-8601 text on both dialects.
import type { Generated } from 'kysely';

export interface OrganizationsTable {
  id: Generated<number>;
  name: string;
  secret_hash: string;
  created_at: string;
  secret_sealed: string | null; // 0006_auth; null for organizations made before it
}

export interface UsersTable {
  id: Generated<number>;
  organization_id: number;
  email: string;
  first_name: string;
  last_name: string;
  secret_hash: string;
  created_at: string;
  password_hash: string | null; // scrypt$N$r$p$salt$hash (0006_auth); null: no password sign-in
  secret_sealed: string | null; // 0006_auth; null for users made before it
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
  provider_data_sealed: string | null; // sealed JSON (0006_auth); never echoed back
}

export interface InstanceConfigurationTable {
  id: Generated<number>;
  instance_id: number;
  key: string;
  value: string | null; // sealed (enc:v1:…) when secret = 1
  secret: number;
}

export interface SessionsTable {
  id: Generated<number>;
  token_hash: string;
  user_id: number;
  created_at: string;
  expires_at: string;
}

export interface SignInFailuresTable {
  id: Generated<number>;
  subject: string;
  at: string;
}

export interface Tables {
  organizations: OrganizationsTable;
  users: UsersTable;
  instances: InstancesTable;
  instance_configuration: InstanceConfigurationTable;
  sessions: SessionsTable;
  sign_in_failures: SignInFailuresTable;
}
