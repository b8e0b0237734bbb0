-- The EU product catalog, loaded by scatter into a read-only in-memory SQLite database.
CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    type         TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    model        TEXT NOT NULL,
    price        REAL,
    in_stock     INTEGER NOT NULL
);
INSERT INTO products (type, manufacturer, model, price, in_stock) VALUES
    ('laptop',     'Lenovo',  'ThinkPad X1 Carbon', 1699.00, 1),
    ('laptop',     'Apple',   'MacBook Air 13',     1199.00, 1),
    ('phone',      'Samsung', 'Galaxy S24',          899.99, 1),
    ('headphones', 'Sennheiser', 'Momentum 4',       349.00, 0),
    ('tablet',     'Apple',   'iPad Air',            699.00, 1),
    ('monitor',    'Dell',    'U2723QE',             629.50, 1),
    ('headphones', 'Sony',    'WH-1000XM5',          399.00, 1),
    ('phone',      'Fairphone', 'Fairphone 5',       699.00, 1),
    ('laptop',     'Framework', 'Laptop 13',         NULL,   0);
