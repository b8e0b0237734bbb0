-- The US product catalog, loaded by scatter into a read-only in-memory SQLite database.
CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    type         TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    model        TEXT NOT NULL,
    price        REAL,
    in_stock     INTEGER NOT NULL
);
INSERT INTO products (type, manufacturer, model, price, in_stock) VALUES
    ('headphones', 'Sony',    'WH-CH720N',           149.99, 1),
    ('laptop',     'Apple',   'MacBook Pro 14',     1999.00, 1),
    ('phone',      'Apple',   'iPhone 15',           799.99, 1),
    ('phone',      'Google',  'Pixel 8',             699.00, 1),
    ('laptop',     'Dell',    'XPS 13',             1299.99, 0),
    ('headphones', 'Bose',    'QuietComfort Ultra',  429.00, 1),
    ('monitor',    'LG',      '27GP850-B',           449.99, 1);
