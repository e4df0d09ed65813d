"""The Streamlit UI, one module per page or part; streamlit_app.py is the entry that wires them."""
