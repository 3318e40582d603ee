// A logo placeholder: the element's initials on a colour derived from its name (no image is fetched).
export function ElementLogo({ name }: { name: string }) {
  const initials =
    name
      .split(/\s+/)
      .filter((w) => /^[A-Za-z]/.test(w))
      .slice(0, 2)
      .map((w) => w[0]?.toUpperCase())
      .join('') || '?';
  let hue = 0;
  for (const ch of name) hue = (hue * 31 + ch.charCodeAt(0)) % 360;
  return (
    <svg className="logo" width="56" height="56" viewBox="0 0 56 56" role="img" aria-label={`${name} logo placeholder`}>
      <title>{`${name} logo placeholder`}</title>
      <rect width="56" height="56" rx="12" fill={`hsl(${hue} 55% 38%)`} />
      <text
        x="28"
        y="35"
        textAnchor="middle"
        fontSize="20"
        fontWeight="700"
        fill="#fff"
        fontFamily="system-ui, sans-serif"
      >
        {initials}
      </text>
    </svg>
  );
}
