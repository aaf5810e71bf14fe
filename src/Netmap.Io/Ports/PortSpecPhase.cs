namespace Netmap.Io.Ports;

/// <summary>Which decoder of a port spec rejected it (netmap-notes §10).</summary>
public enum PortSpecPhase
{
    /// <summary>The prefix and the port name (libnetmap's <c>nmreq_header_decode</c>).</summary>
    Header,
    /// <summary>The ring mode, <c>/</c> flags and <c>@N</c> memory id (<c>nmreq_register_decode</c>).</summary>
    Register,
    /// <summary>The <c>@option</c> list (<c>nmreq_options_decode</c>).</summary>
    Options,
}
