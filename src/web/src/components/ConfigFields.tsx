// The configuration form generated from GET /elements/{key}/configuration rows: the ConnectWise URL picker,
// one labelled input per visible parameter, and the Events section.
import type { ConfigParameter } from '../api.ts';
import {
  API_PATH,
  BASE_URL_KEY,
  composeBaseUrl,
  EVENTS_ENABLED_KEY,
  type FieldErrors,
  type FormState,
  fieldId,
  isEventsParam,
  regionLabel,
  type UrlChoice,
  visibleParameters,
} from '../configForm.ts';
import { Field } from './ui.tsx';

interface Props {
  rows: ConfigParameter[];
  form: FormState;
  onChange: (form: FormState) => void;
  errors: FieldErrors;
  /** Editing an existing instance: empty secret fields keep the stored value. */
  editing?: boolean;
}

const ONPREM = '__onprem';
const FULL_URL = '__url';

function UrlPicker({
  row,
  form,
  onChange,
  error,
}: {
  row: ConfigParameter;
  form: FormState;
  onChange: Props['onChange'];
  error?: string;
}) {
  const regions = row.allowedHosts ?? [];
  const choice = form.url;
  const selectValue = choice.mode === 'region' ? choice.host : choice.mode === 'onprem' ? ONPREM : FULL_URL;
  const set = (url: UrlChoice) => onChange({ ...form, url });
  const id = fieldId(row.key);
  const preview = choice.mode === 'url' ? undefined : composeBaseUrl(choice);
  return (
    <fieldset className="url-picker">
      <legend>
        {row.name}
        <span className="required" title="required">
          {' '}
          *<span className="visually-hidden"> (required)</span>
        </span>
      </legend>
      <Field id={`${id}-where`} label="Where your ConnectWise runs">
        {(aria) => (
          <select
            {...aria}
            required={undefined}
            value={selectValue}
            onChange={(e) => {
              const v = e.target.value;
              if (v === ONPREM) set({ mode: 'onprem', host: '' });
              else if (v === FULL_URL) set({ mode: 'url', url: preview ?? '' });
              else set({ mode: 'region', host: v });
            }}
          >
            {regions.map((h) => (
              <option key={h} value={h}>
                {regionLabel(h)}
              </option>
            ))}
            <option value={ONPREM}>On-premises host…</option>
            <option value={FULL_URL}>Full API URL (sandbox, custom path)…</option>
          </select>
        )}
      </Field>
      {choice.mode === 'onprem' ? (
        <Field id={id} label="On-premises host" required error={error} hint="The host name only, e.g. cw.example.com">
          {(aria) => (
            <input
              {...aria}
              type="text"
              inputMode="url"
              autoComplete="off"
              spellCheck={false}
              value={choice.host}
              onChange={(e) => set({ mode: 'onprem', host: e.target.value })}
            />
          )}
        </Field>
      ) : null}
      {choice.mode === 'url' ? (
        <Field id={id} label="ConnectWise API URL" required error={error} hint={`The API root, ending in ${API_PATH}`}>
          {(aria) => (
            <input
              {...aria}
              type="url"
              autoComplete="off"
              spellCheck={false}
              value={choice.url}
              onChange={(e) => set({ mode: 'url', url: e.target.value })}
            />
          )}
        </Field>
      ) : null}
      {choice.mode === 'region' && error ? (
        <p className="field-error" id={`${id}-error`} data-field-error={id}>
          {error}
        </p>
      ) : null}
      {preview ? (
        <p className="hint">
          URL: <code data-testid="composed-url">{preview}</code>
        </p>
      ) : null}
    </fieldset>
  );
}

function ParameterInput({
  row,
  form,
  onChange,
  error,
  editing,
}: { row: ConfigParameter; error?: string } & Omit<Props, 'rows' | 'errors'>) {
  const value = form.values[row.key] ?? '';
  const set = (v: string) => onChange({ ...form, values: { ...form.values, [row.key]: v } });
  const id = fieldId(row.key);
  const hint =
    editing && row.secret ? `${row.description ?? ''} Leave empty to keep the stored value.`.trim() : row.description;
  if (row.type === 'boolean') {
    return (
      <div className={`field field-check${error ? ' field-invalid' : ''}`}>
        <input
          id={id}
          type="checkbox"
          checked={value === 'true'}
          onChange={(e) => set(e.target.checked ? 'true' : 'false')}
          aria-describedby={`${id}-hint`}
        />
        <label htmlFor={id}>{row.name}</label>
        {error ? (
          <p className="field-error" id={`${id}-error`} data-field-error={id}>
            {error}
          </p>
        ) : null}
        <p className="hint" id={`${id}-hint`}>
          {row.description}
        </p>
      </div>
    );
  }
  return (
    <Field id={id} label={row.name} required={row.required && !(editing && row.secret)} hint={hint} error={error}>
      {(aria) =>
        row.type === 'picklist' ? (
          <select {...aria} value={value} onChange={(e) => set(e.target.value)}>
            {(row.options ?? []).map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        ) : row.type === 'textarea' ? (
          <textarea {...aria} value={value} rows={4} onChange={(e) => set(e.target.value)} />
        ) : (
          <input
            {...aria}
            type={
              row.type === 'password'
                ? 'password'
                : row.type === 'number'
                  ? 'number'
                  : row.type === 'url'
                    ? 'url'
                    : 'text'
            }
            step={row.type === 'number' ? 'any' : undefined}
            min={row.type === 'number' ? 0 : undefined}
            autoComplete={row.type === 'password' ? 'new-password' : 'off'}
            spellCheck={false}
            placeholder={editing && row.secret ? 'unchanged' : undefined}
            value={value}
            onChange={(e) => set(e.target.value)}
          />
        )
      }
    </Field>
  );
}

export function ConfigFields({ rows, form, onChange, errors, editing }: Props) {
  const visible = visibleParameters(rows);
  const main = visible.filter((p) => !isEventsParam(p));
  const events = visible.filter(isEventsParam);
  const eventsToggle = events.find((p) => p.key === EVENTS_ENABLED_KEY);
  const eventsOn = form.values[EVENTS_ENABLED_KEY] === 'true';
  const render = (p: ConfigParameter) =>
    p.key === BASE_URL_KEY ? (
      <UrlPicker key={p.key} row={p} form={form} onChange={onChange} error={errors[p.key]} />
    ) : (
      <ParameterInput key={p.key} row={p} form={form} onChange={onChange} error={errors[p.key]} editing={editing} />
    );
  return (
    <>
      <fieldset className="group">
        <legend>ConnectWise connection</legend>
        {main.map(render)}
      </fieldset>
      {events.length > 0 ? (
        <fieldset className="group">
          <legend>Events</legend>
          {eventsToggle ? render(eventsToggle) : null}
          {eventsOn ? events.filter((p) => p !== eventsToggle).map(render) : null}
        </fieldset>
      ) : null}
    </>
  );
}
